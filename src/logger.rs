//! Upstream's `logger` option: levels, `disabled`, and a sink (the Node layer hands in one
//! that formats and prints exactly as upstream, or calls the user's `log`).

use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Success,
    Warn,
    Error,
}

impl Level {
    pub fn parse(name: &str) -> Option<Level> {
        Some(match name {
            "debug" => Level::Debug,
            "info" => Level::Info,
            "success" => Level::Success,
            "warn" => Level::Warn,
            "error" => Level::Error,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Success => "success",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

pub type LogSink = Arc<dyn Fn(Level, &str) + Send + Sync>;

#[derive(Clone)]
pub struct Logger {
    /// `None` when `logger.disabled` is set.
    min_level: Option<Level>,
    sink: LogSink,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger").field("min_level", &self.min_level).finish()
    }
}

impl Logger {
    pub fn new(min_level: Option<Level>, sink: LogSink) -> Self {
        Logger { min_level, sink }
    }

    /// Prints to stderr in upstream's uncoloured format; what `cargo test` and Rust callers get.
    pub fn stderr(min_level: Option<Level>) -> Self {
        Logger::new(min_level, Arc::new(|level, message| eprintln!("{} [Better Auth]: {message}", level.as_str().to_uppercase())))
    }

    pub fn enabled(&self, level: Level) -> bool {
        self.min_level.is_some_and(|min| level >= min)
    }

    pub fn log(&self, level: Level, message: &str) {
        if self.enabled(level) {
            (self.sink)(level, message);
        }
    }

    pub fn info(&self, message: &str) {
        self.log(Level::Info, message)
    }

    pub fn warn(&self, message: &str) {
        self.log(Level::Warn, message)
    }

    pub fn error(&self, message: &str) {
        self.log(Level::Error, message)
    }
}
