// SkiffStore: placeholder until its first file lands.
