/// libFuzzer's entry for a program that has its own `main` (LLVM 12 and later).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt

/// Why every target has a `<module>_main`: SwiftPM links an executable with
/// `--defsym main=<module>_main` (the entry its top-level code would get),
/// and a target built `-parse-as-library` has no top-level code. So each
/// target defines that symbol with `@_cdecl` and hands over to libFuzzer's
/// driver here, with the same `LLVMFuzzerTestOneInput` libFuzzer's own
/// `main` would call (which the fuzzer runtime still needs defined).
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ testOneInput: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}
