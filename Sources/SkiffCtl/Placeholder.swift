// SkiffCtl: placeholder until its first file lands.
