//! Links the release `wheelhouse` binary with its hot functions first (`build/text-order.txt`).
//!
//! The binary holds about 18 MB of machine code for the operator, the CLI and their
//! libraries; `wheelhouse template` runs about 2,300 functions scattered across it. The
//! kernel maps file pages 64 KiB at a time around each fault ("fault-around"), so scattered
//! code made the process's resident set about 8 MiB of code for 3 MiB of touched pages.
//! lld's `--symbol-ordering-file` places the listed functions' sections first, in order,
//! which keeps that code in a few dozen 64 KiB windows instead of over a hundred.
//!
//! Only for release builds for `x86_64-unknown-linux-gnu` with Rust 1.90 or later, whose
//! default linker is the bundled lld (GNU ld has no such option), and not when the build
//! chooses its own linker. A name the binary does not define is skipped, so a stale list
//! only loses locality; `build/text-order.sh` regenerates it.

use std::env;
use std::path::Path;
use std::process::Command;

const ORDER_FILE: &str = "build/text-order.txt";

fn main() {
    println!("cargo::rerun-if-changed={ORDER_FILE}");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
    if orders_text() {
        let manifest_dir = env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        let order = Path::new(&manifest_dir).join(ORDER_FILE);
        if order.is_file() {
            println!(
                "cargo::rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
                order.display()
            );
            println!("cargo::rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
        }
    }
}

/// Whether this build links with the bundled lld and is one the order is meant for.
fn orders_text() -> bool {
    let var = |name: &str| env::var(name).unwrap_or_default();
    if var("PROFILE") != "release" || var("TARGET") != "x86_64-unknown-linux-gnu" {
        return false;
    }
    // A chosen linker or linker flavour may not be lld.
    if env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
        || var("CARGO_ENCODED_RUSTFLAGS").contains("linker")
    {
        return false;
    }
    rustc_minor().is_some_and(|minor| minor >= 90)
}

/// The minor version of the compiler cargo uses (`rustc 1.95.0 (…)` gives 95).
fn rustc_minor() -> Option<u32> {
    let rustc = env::var_os("RUSTC")?;
    let output = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}
