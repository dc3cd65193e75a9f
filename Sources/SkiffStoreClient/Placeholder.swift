// SkiffStoreClient: placeholder until its first file lands.
