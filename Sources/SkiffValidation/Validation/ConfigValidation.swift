/// ConfigValidation: ConfigMaps, Secrets and ServiceAccounts: data keys usable as file names,
/// the 1 MiB size limit, the keys each Secret type requires, and `immutable` holding on update.
///
/// Concurrency: pure functions. Must never: quote a Secret's contents in an error; values are
/// shown redacted.
import Foundation
import SkiffAPI
import SkiffWire

enum ConfigValidation {
    /// Kubernetes' limit on a ConfigMap's or Secret's data (etcd's request size, with headroom).
    static let maxDataSize = 1024 * 1024
    static let immutableWhenSetMessage = "field is immutable when `immutable` is set"

    // MARK: ConfigMap

    static func validate(_ configMap: ConfigMap) -> [FieldError] {
        ObjectMetaValidation.validate(configMap.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + configMapData(configMap)
    }

    static func validateUpdate(_ configMap: ConfigMap, old: ConfigMap) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(configMap.metadata, old: old.metadata)
        if old.immutable == true {
            if configMap.immutable != true { errors.append(.forbidden(FieldPath("immutable"), immutableWhenSetMessage)) }
            if configMap.data != old.data { errors.append(.forbidden(FieldPath("data"), immutableWhenSetMessage)) }
            if configMap.binaryData != old.binaryData {
                errors.append(.forbidden(FieldPath("binaryData"), immutableWhenSetMessage))
            }
        }
        return errors + configMapData(configMap)
    }

    private static func configMapData(_ configMap: ConfigMap) -> [FieldError] {
        var errors: [FieldError] = []
        var size = 0
        for key in configMap.data.keys.sorted() {
            let keyPath = FieldPath("data").key(key)
            errors += FieldChecks.format(NameFormats.configKey(key), key, keyPath)
            if configMap.binaryData[key] != nil {
                errors.append(.invalid(keyPath, key, "duplicate of key present in binaryData"))
            }
            size += configMap.data[key]?.utf8.count ?? 0
        }
        for key in configMap.binaryData.keys.sorted() {
            errors += FieldChecks.format(NameFormats.configKey(key), key, FieldPath("binaryData").key(key))
            size += configMap.binaryData[key]?.count ?? 0
        }
        if size > maxDataSize { errors.append(.tooLong(FieldPath("data"), bytes: maxDataSize)) }
        return errors
    }

    // MARK: Secret

    static let redacted = "<secret contents redacted>"

    static func validate(_ secret: Secret) -> [FieldError] {
        ObjectMetaValidation.validate(secret.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + secretData(secret)
    }

    static func validateUpdate(_ secret: Secret, old: Secret) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(secret.metadata, old: old.metadata)
        errors += FieldChecks.immutable(secret.type ?? "", old.type ?? "", FieldPath("type"), shown: secret.type ?? "")
        if old.immutable == true {
            if secret.immutable != true { errors.append(.forbidden(FieldPath("immutable"), immutableWhenSetMessage)) }
            if secret.data != old.data || !secret.stringData.isEmpty {
                errors.append(.forbidden(FieldPath("data"), immutableWhenSetMessage))
            }
        }
        return errors + secretData(secret)
    }

    private static func secretData(_ secret: Secret) -> [FieldError] {
        var errors: [FieldError] = []
        let dataPath = FieldPath("data")
        var size = 0
        for key in secret.data.keys.sorted() {
            errors += FieldChecks.format(NameFormats.configKey(key), key, dataPath.key(key))
            size += secret.data[key]?.count ?? 0
        }
        // stringData is write-only convenience: it is merged into data, so it obeys data's rules.
        for key in secret.stringData.keys.sorted() {
            errors += FieldChecks.format(NameFormats.configKey(key), key, FieldPath("stringData").key(key))
            if secret.data[key] == nil { size += secret.stringData[key]?.utf8.count ?? 0 }
        }
        if size > maxDataSize { errors.append(.tooLong(dataPath, bytes: maxDataSize)) }

        func value(_ key: String) -> [UInt8]? { secret.data[key] ?? secret.stringData[key].map { Array($0.utf8) } }
        switch secret.type ?? "" {
        case "kubernetes.io/service-account-token":
            let key = "kubernetes.io/service-account.name"
            if (secret.metadata?.annotations[key] ?? "").isEmpty {
                errors.append(.required(FieldPath("metadata").child("annotations").key(key)))
            }
        case "kubernetes.io/dockercfg":
            errors += jsonDocument(value(".dockercfg"), dataPath.key(".dockercfg"))
        case "kubernetes.io/dockerconfigjson":
            errors += jsonDocument(value(".dockerconfigjson"), dataPath.key(".dockerconfigjson"))
        case "kubernetes.io/basic-auth":
            if value("username") == nil && value("password") == nil {
                errors.append(.required(dataPath.key("username")))
                errors.append(.required(dataPath.key("password")))
            }
        case "kubernetes.io/ssh-auth":
            if (value("ssh-privatekey") ?? []).isEmpty { errors.append(.required(dataPath.key("ssh-privatekey"))) }
        case "kubernetes.io/tls":
            if value("tls.crt") == nil { errors.append(.required(dataPath.key("tls.crt"))) }
            if value("tls.key") == nil { errors.append(.required(dataPath.key("tls.key"))) }
        default:
            break
        }
        return errors
    }

    /// A required key whose contents must be a JSON object (docker registry credentials).
    private static func jsonDocument(_ bytes: [UInt8]?, _ path: FieldPath) -> [FieldError] {
        guard let bytes else { return [.required(path)] }
        let parsed = try? JSONSerialization.jsonObject(with: Data(bytes))
        return parsed is [String: Any] ? [] : [.invalid(path, redacted, "must be a valid JSON object")]
    }

    // MARK: ServiceAccount

    static func validate(_ account: ServiceAccount) -> [FieldError] {
        ObjectMetaValidation.validate(account.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
    }

    static func validateUpdate(_ account: ServiceAccount, old: ServiceAccount) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(account.metadata, old: old.metadata)
    }
}
