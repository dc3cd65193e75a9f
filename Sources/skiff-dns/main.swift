// skiff-dns: the cluster DNS server; everything is in Sources/SkiffDNS.
import SkiffCommandLine
import SkiffDNS

await DNSCommand.executeAsRoot()
