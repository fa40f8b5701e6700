fn main() -> std::process::ExitCode {
    nghedan::cli::main()
}
