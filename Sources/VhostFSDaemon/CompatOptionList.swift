/// The legacy `-o opt[,opt...]` syntax of virtiofsd and libvirt.
enum CompatOptionList {
    /// Splits one `-o` argument into its options.
    ///
    /// Options are separated by commas; a doubled comma stands for one comma inside an option, as libvirt writes
    /// a source directory whose name contains a comma (`-o source=/srv/a,,b,cache=always`).
    ///
    /// - Throws: `DaemonConfigurationError` for an empty option (`-o xattr,` or `-o ,xattr`).
    static func split(_ text: String) throws(DaemonConfigurationError) -> [String] {
        guard !text.isEmpty else { throw DaemonConfigurationError("-o: empty option list") }
        var options: [String] = []
        var current = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            if character == "," {
                if index < text.endIndex, text[index] == "," {
                    current.append(",")
                    index = text.index(after: index)
                    continue
                }
                guard !current.isEmpty else { throw DaemonConfigurationError("-o \(text): empty option") }
                options.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        guard !current.isEmpty else { throw DaemonConfigurationError("-o \(text): empty option") }
        options.append(current)
        return options
    }
}
