//! Compiles every `.proto` under `proto/hallguard` with protox (pure Rust, so no system
//! protoc is needed) and generates tonic clients and servers plus a descriptor set for
//! server reflection.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    collect_protos(PathBuf::from("hallguard"), &mut files)?;
    files.sort();
    // The folder too: a new .proto file changes no listed file.
    println!("cargo:rerun-if-changed=hallguard");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let descriptors = protox::compile(&files, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("hallguard_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;

    // Type names let the codec find each request's descriptor for its checks.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure()
        // Unimplemented RPCs answer UNIMPLEMENTED rather than failing to compile, so a
        // contract can grow ahead of its server.
        .generate_default_stubs(true)
        // prost's codec plus the checks every request gets (text lengths).
        .codec_path("crate::codec::CheckedCodec")
        .compile_fds_with_config(descriptors, config)?;
    Ok(())
}

fn collect_protos(dir: PathBuf, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            files.push(path);
        }
    }
    Ok(())
}
