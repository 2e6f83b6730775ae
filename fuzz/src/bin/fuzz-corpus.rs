//! Writes every target's seeds (`DIR/NAME/`) and dictionary (`DIR/NAME.dict`) for libFuzzer:
//! `fuzz-corpus DIR`. The seeds are those the bounded run starts from ([`fuzz::seeds`]).

use std::io::Write;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: fuzz-corpus DIR");
        std::process::exit(2);
    };
    for target in fuzz::TARGETS {
        let seeds_dir = dir.join(target.name);
        std::fs::create_dir_all(&seeds_dir)?;
        let seeds = fuzz::seeds(target);
        for (i, s) in seeds.iter().enumerate() {
            std::fs::write(seeds_dir.join(format!("seed-{i:03}")), s)?;
        }
        let mut dict = std::fs::File::create(dir.join(format!("{}.dict", target.name)))?;
        for word in target.dictionary {
            // libFuzzer's dictionary syntax: "…" with \\, \" and \xNN escapes
            let escaped: String = word
                .bytes()
                .map(|b| match b {
                    b'\\' => "\\\\".to_owned(),
                    b'"' => "\\\"".to_owned(),
                    0x20..=0x7e => char::from(b).to_string(),
                    _ => format!("\\x{b:02X}"),
                })
                .collect();
            writeln!(dict, "\"{escaped}\"")?;
        }
        println!("{:<14} {} seeds", target.name, seeds.len());
    }
    Ok(())
}
