fn main() -> std::process::ExitCode {
    palpate::cli::main()
}
