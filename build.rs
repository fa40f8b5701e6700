//! Build inputs cargo cannot see: the migrations (`embed_migrations!` reads the directories at
//! compile time) and the commit the binary is built from (`nghedan --version`).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rustc-env=NGHEDAN_GIT_COMMIT={}", commit());
}

/// `NGHEDAN_GIT_COMMIT` if set (a build without `.git`, e.g. in a container), else
/// `git rev-parse --short HEAD` of this package's own repository, else `unknown`.
fn commit() -> String {
    println!("cargo:rerun-if-env-changed=NGHEDAN_GIT_COMMIT");
    if let Ok(given) = std::env::var("NGHEDAN_GIT_COMMIT")
        && !given.trim().is_empty()
    {
        return given.trim().to_string();
    }
    let Some(commit) = own_repository().and_then(|()| git(&["rev-parse", "--short", "HEAD"]))
    else {
        return "unknown".into();
    };
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it names (a commit) and
    // the packed refs. In a worktree `.git` is a file and the branches live in the main
    // repository, so git says where each is. A path that does not exist is left out: cargo
    // would rerun this script on every build.
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    let names = ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref());
    for name in names {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    commit
}

/// Whether the package is the top of a git work tree (not, say, an unpacked source archive
/// that happens to sit inside some other repository).
fn own_repository() -> Option<()> {
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let manifest = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let same = std::fs::canonicalize(top).ok()? == std::fs::canonicalize(manifest).ok()?;
    same.then_some(())
}

/// One line of `git`'s output, if it succeeds.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let line = text.trim();
    (out.status.success() && !line.is_empty()).then(|| line.to_string())
}
