// SkiffAPIServer: placeholder until its first file lands.
