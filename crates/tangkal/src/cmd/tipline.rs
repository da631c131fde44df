//! `tangkal tipline`: connecting the tiplines to their platforms.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum Command {
    /// The Telegram bot
    #[command(subcommand)]
    Telegram(TelegramCommand),
}

#[derive(clap::Subcommand)]
pub enum TelegramCommand {
    /// Register URL (https://<your host>/hooks/telegram) as the bot's webhook, with the configured secret
    /// token
    SetWebhook { url: String },
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Telegram(TelegramCommand::SetWebhook { url }) => {
            let settings = config.tiplines.telegram.as_ref().context("tiplines.telegram: not configured")?;
            super::serve::check_telegram(settings)?;
            anyhow::ensure!(url.starts_with("https://"), "URL: Telegram sends updates to https addresses only");
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let said = runtime.block_on(tangkal_server::tiplines::set_telegram_webhook(settings, &url))?;
            println!("webhook set: {said}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
