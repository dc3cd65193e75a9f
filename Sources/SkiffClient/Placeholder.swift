// SkiffClient: placeholder until its first file lands.
