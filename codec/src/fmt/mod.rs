//! Terms as text: `Display` as `io_lib:format("~w", ...)` writes them, and `defmt::Format`.

#[cfg(feature = "defmt")]
mod defmt;
mod display;

pub use display::MAX_DISPLAY_DEPTH;
