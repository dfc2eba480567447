import CLinux

extension FUSEClient {
    /// Builds one request in its slot's guest memory: the `fuse_in_header`, then fixed arguments and names (one
    /// device-readable buffer), then bulk data such as WRITE's payload (a second one), as Linux's virtio_fs lays
    /// out a request.
    ///
    /// A writer only lives inside the closure given to `Queue.submit`; it points at guest memory and must not be
    /// kept.
    public struct RequestWriter {
        /// The header to send. `len` is computed at the end unless `declaredLength` is set; `unique` is the id the
        /// reply must carry (change it only to test a backend's handling of duplicates).
        public var header: fuse_in_header
        /// Overrides `header.len` (hostile tests: a length that disagrees with the bytes posted).
        public var declaredLength: UInt32?
        /// Bytes of arguments written so far.
        public private(set) var argumentLength = 0
        /// Bytes of data written so far.
        public private(set) var dataLength = 0

        private let arguments: UnsafeMutableRawPointer
        private let argumentCapacity: Int
        private let data: UnsafeMutableRawPointer
        private let dataCapacity: Int

        init(header: fuse_in_header, arguments: UnsafeMutableRawPointer, argumentCapacity: Int,
             data: UnsafeMutableRawPointer, dataCapacity: Int) {
            self.header = header
            self.arguments = arguments
            self.argumentCapacity = argumentCapacity
            self.data = data
            self.dataCapacity = dataCapacity
        }

        private mutating func reserveArguments(_ count: Int, _ what: String)
            throws(Failure) -> UnsafeMutableRawPointer
        {
            guard count >= 0, count <= argumentCapacity - argumentLength else {
                throw .requestTooLarge(what, needed: argumentLength + count, capacity: argumentCapacity)
            }
            // SAFETY: argumentLength + count <= argumentCapacity, the size of the slot's argument area.
            let p = arguments + argumentLength
            argumentLength += count
            return p
        }

        /// Appends a fixed-size wire struct (`fuse_read_in`...) to the arguments.
        public mutating func append<T: BitwiseCopyable>(_ value: T) throws(Failure) {
            let p = try reserveArguments(MemoryLayout<T>.size, "argument")
            // SAFETY: `p` has MemoryLayout<T>.size reserved bytes; unaligned store of a trivial value.
            p.storeBytes(of: value, as: T.self)
        }

        /// Appends raw bytes to the arguments.
        public mutating func append(bytes: UnsafeRawBufferPointer) throws(Failure) {
            let p = try reserveArguments(bytes.count, "argument bytes")
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            // SAFETY: `p` has bytes.count reserved bytes.
            p.copyMemory(from: base, byteCount: bytes.count)
        }

        /// Appends raw bytes to the arguments.
        public mutating func append(bytes: [UInt8]) throws(Failure) {
            // SAFETY: the pointer does not escape the closure.
            let result = bytes.withUnsafeBytes { b in
                Result { () throws(Failure) in try append(bytes: b) }
            }
            try result.get()
        }

        /// Appends `name` as UTF-8 followed by a NUL, as FUSE passes names.
        public mutating func append(name: String) throws(Failure) {
            var copy = name
            let count = copy.utf8.count
            let p = try reserveArguments(count + 1, "name")
            copy.withUTF8 { utf8 in
                if let base = utf8.baseAddress, utf8.count > 0 {
                    // SAFETY: `p` has count + 1 reserved bytes.
                    p.copyMemory(from: base, byteCount: utf8.count)
                }
            }
            // SAFETY: the last reserved byte.
            p.storeBytes(of: 0, toByteOffset: count, as: UInt8.self)
        }

        /// Appends bulk data (WRITE's payload) in its own buffer.
        public mutating func appendData(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
            try appendData(count: bytes.count) { target in
                // SAFETY: `target` has bytes.count reserved bytes.
                if let base = bytes.baseAddress, let t = target.baseAddress, bytes.count > 0 {
                    t.copyMemory(from: base, byteCount: bytes.count)
                }
            }
        }

        /// Reserves `count` bytes of bulk data and lets `fill` write them in place (no copy).
        public mutating func appendData(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(Failure) {
            guard count >= 0, count <= dataCapacity - dataLength else {
                throw .requestTooLarge("data", needed: dataLength + count, capacity: dataCapacity)
            }
            // SAFETY: dataLength + count <= dataCapacity, the size of the slot's data area.
            fill(UnsafeMutableRawBufferPointer(start: data + dataLength, count: count))
            dataLength += count
        }
    }
}
