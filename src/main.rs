//! The `luneo` binary: parses the command line and hands over to [`luneo::cli`].

use clap::Parser;

fn main() {
    let cli = luneo::cli::Cli::parse();
    std::process::exit(luneo::cli::run(cli));
}
