//! `cargo run -p idl-gen -- write` regenerates programs/quantdesk-perp/idl/quantdesk_perp.json;
//! `cargo run -p idl-gen -- check` fails when the committed files differ from what the program builds.
use anchor_lang_idl::build::IdlBuilder;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode != "write" && mode != "check" {
        eprintln!("usage: idl-gen write|check");
        return ExitCode::from(2);
    }
    // anchor-lang-idl runs `rustup toolchain install` (and then a malformed `cargo +{toolchain}`) whenever
    // RUSTUP_TOOLCHAIN is set, as it is under `cargo run`: build with the toolchain already in use instead.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let programs = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let program = programs.join("quantdesk-perp");
    // Its own target dir: the IDL build compiles with other flags and must not evict the test build.
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| programs.join("target"));
    let idl_target = target.with_file_name(format!("{}-idl", target.file_name().unwrap().to_string_lossy()));
    let idl = match IdlBuilder::new()
        .program_path(program.clone())
        .cargo_args(vec!["--target-dir".into(), idl_target.to_string_lossy().into_owned()])
        .build()
    {
        Ok(idl) => idl,
        Err(e) => {
            eprintln!("building the IDL failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = format!("{}\n", serde_json::to_string_pretty(&idl).unwrap());
    // The TypeScript type (camelCase, as Anchor's client presents it) is generated from this JSON by
    // scripts/gen-idl-type.ts, and checked by tests/static/idl.test.ts.
    let dir = program.join("idl");
    let files = [(dir.join("quantdesk_perp.json"), json)];
    if mode == "write" {
        std::fs::create_dir_all(&dir).unwrap();
        for (path, content) in &files {
            std::fs::write(path, content).unwrap();
            eprintln!("wrote {}", path.display());
        }
        return ExitCode::SUCCESS;
    }
    let stale: Vec<_> = files
        .iter()
        .filter(|(path, content)| std::fs::read_to_string(path).ok().as_deref() != Some(content.as_str()))
        .map(|(path, _)| path.display().to_string())
        .collect();
    if stale.is_empty() {
        eprintln!("IDL is up to date");
        ExitCode::SUCCESS
    } else {
        eprintln!("the committed IDL is stale: {} (run `npm run idl`)", stale.join(", "));
        ExitCode::FAILURE
    }
}
