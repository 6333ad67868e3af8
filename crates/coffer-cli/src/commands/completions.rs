//! `coffer completions SHELL` and `coffer man`: generated from the clap definitions,
//! so they never drift from the commands (the .deb installs both).

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::Cli;

/// Prints the completions for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "coffer", &mut std::io::stdout());
    Ok(())
}

/// Prints the man page.
pub fn man() -> Result<()> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
    Ok(())
}
