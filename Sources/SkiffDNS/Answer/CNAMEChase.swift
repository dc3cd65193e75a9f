/// CNAMEChase: completing an answer whose CNAME leads out of the served zones (an ExternalName
/// service) with the target's records from upstream, as a recursive server would, so a stub
/// resolver (which does not follow CNAMEs itself) gets addresses. Pure: the query to send, and
/// the merge of the local CNAME answer with upstream's.
///
/// Concurrency: pure functions. Must never: put anything but the client's own question in the
/// reply, or exceed the client's UDP size (the merged answer falls back to the CNAME alone, TC).

public enum CNAMEChase {
    /// The client's query re-aimed at the CNAME's target (same ID, flags, type and EDNS).
    public static func targetQuery(clientQuery: [UInt8], answered: [UInt8]) -> [UInt8]? {
        guard let query = try? DNSMessage(parsing: clientQuery), let question = query.questions.first,
              let local = try? DNSMessage(parsing: answered),
              case .cname(let target)? = local.answers.last?.data else { return nil }
        var retargeted = query
        retargeted.questions = [Question(name: target, type: question.type, recordClass: question.recordClass)]
        return retargeted.encoded()
    }

    /// The local CNAME answer followed by upstream's answer records, with upstream's response
    /// code (NXDOMAIN when the target does not exist, RFC 6604); not authoritative.
    public static func merge(clientQuery: [UInt8], answered: [UInt8], upstream: [UInt8], transport: Transport,
                             options: AnswerOptions) -> [UInt8] {
        guard var merged = try? DNSMessage(parsing: answered), let remote = try? DNSMessage(parsing: upstream),
              remote.flags.isResponse else { return answered }
        let cname = merged.answers
        merged.flags.isAuthoritative = false
        merged.flags.responseCode = remote.flags.responseCode
        merged.answers = cname + remote.answers
        merged.authority = remote.answers.isEmpty ? remote.authority.filter { $0.type == .soa } : []
        let clientSize = (try? DNSMessage(parsing: clientQuery))?.opt.map { Int($0.recordClass) }
        let limit: Int = switch transport {
        case .tcp: DNSLimits.maxMessageLength
        case .udp: clientSize.map { max(DNSLimits.classicUDPSize, min($0, options.maxUDPSize)) } ?? DNSLimits.classicUDPSize
        }
        let bytes = merged.encoded()
        if bytes.count <= limit { return bytes }
        merged.answers = cname
        merged.authority = []
        merged.flags.isTruncated = true
        return merged.encoded()
    }
}
