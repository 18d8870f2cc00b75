//! Logging set-up: JSON lines inside Lambda, readable text elsewhere. The level comes from
//! `RUST_LOG` (default `info`): a level, or `target=level` pairs separated by commas. Span and
//! field filters are not supported: `Targets` needs no regular expressions, which keeps about
//! 0.5 MB of regex engine out of each function binary.

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Filter when `RUST_LOG` is unset or unreadable.
const DEFAULT_FILTER: &str = "info";

/// Installs the global `tracing` subscriber once; later calls do nothing.
pub fn init() {
    let filter = filter_from(std::env::var("RUST_LOG").ok().as_deref());
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt().with_target(false);
    let result = if in_lambda {
        // CloudWatch adds its own timestamps.
        builder.json().without_time().with_current_span(false).finish().with(filter).try_init()
    } else {
        builder.finish().with(filter).try_init()
    };
    // An error means a subscriber is already installed, as in tests that start several apps.
    let _ = result;
}

/// Reads a `RUST_LOG` value; an empty or unreadable one gives the default.
fn filter_from(text: Option<&str>) -> Targets {
    text.map(str::trim)
        .filter(|text| !text.is_empty())
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| DEFAULT_FILTER.parse().expect("the default filter parses"))
}

#[cfg(test)]
mod tests {
    use super::filter_from;
    use tracing::Level;

    #[test]
    fn reads_levels_and_targets() {
        assert!(filter_from(None).would_enable("chirp", &Level::INFO));
        assert!(!filter_from(None).would_enable("chirp", &Level::DEBUG));
        assert!(!filter_from(Some("")).would_enable("chirp", &Level::DEBUG));
        assert!(filter_from(Some("debug")).would_enable("chirp", &Level::DEBUG));
        let pairs = filter_from(Some("chirp_shared=debug,warn"));
        assert!(pairs.would_enable("chirp_shared::store", &Level::DEBUG));
        assert!(!pairs.would_enable("hyper", &Level::INFO));
        // Span filters are not supported: the default applies.
        assert!(filter_from(Some("[span{a=1}]=trace")).would_enable("chirp", &Level::INFO));
    }
}
