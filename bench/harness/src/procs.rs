//! Runs one contender process under GNU `/usr/bin/time -v` (user and system
//! CPU seconds, maximum resident set size) and times it from outside.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::machine::{TIME, has_time};

/// A command to run: program, arguments, extra environment.
#[derive(Debug, Clone)]
pub struct Spec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
}

impl Spec {
    pub fn new(program: impl Into<PathBuf>, cwd: &Path) -> Spec {
        Spec {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: cwd.to_path_buf(),
        }
    }

    pub fn arg(mut self, a: impl Into<String>) -> Spec {
        self.args.push(a.into());
        self
    }

    pub fn env(mut self, k: &str, v: impl Into<String>) -> Spec {
        self.env.push((k.to_string(), v.into()));
        self
    }

    /// The command line as text (for BENCHMARKS.md; environment values are not shown).
    pub fn display(&self, root: &Path) -> String {
        let program = self
            .program
            .strip_prefix(root)
            .unwrap_or(&self.program)
            .display()
            .to_string();
        std::iter::once(program)
            .chain(self.args.iter().map(|a| shorten(a, root)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args).current_dir(&self.cwd);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

fn shorten(arg: &str, root: &Path) -> String {
    let root = format!("{}/", root.display());
    arg.replace(&root, "")
}

/// What the operating system says about one finished process.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Measured {
    /// Seconds from spawn to exit, measured by the harness.
    pub wall_s: f64,
    pub user_s: Option<f64>,
    pub sys_s: Option<f64>,
    pub max_rss_kib: Option<u64>,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Measured {
    pub fn cpu_s(&self) -> Option<f64> {
        Some(self.user_s? + self.sys_s?)
    }

    pub fn ok(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// The last lines of stderr, for a failure message.
    pub fn stderr_tail(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().rev().take(4).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    }
}

/// Runs `spec` to completion (blocking), under `/usr/bin/time -v` when installed.
pub fn run(spec: &Spec, scratch: &Path, timeout: Duration) -> anyhow::Result<Measured> {
    let time_file = scratch.join(format!("time-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&time_file);
    let mut cmd = if has_time() {
        let mut c = Command::new(TIME);
        c.arg("-v")
            .arg("-o")
            .arg(&time_file)
            .arg(&spec.program)
            .args(&spec.args)
            .current_dir(&spec.cwd);
        for (k, v) in &spec.env {
            c.env(k, v);
        }
        c
    } else {
        spec.command()
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", spec.program.display()))?;
    // Read both pipes on threads so a chatty child never blocks on a full pipe.
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = std::io::Read::read_to_string(p, &mut s);
        }
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = std::io::Read::read_to_string(p, &mut s);
        }
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let status = child.wait()?;
            eprintln!(
                "bench: {} exceeded {} s and was killed",
                spec.program.display(),
                timeout.as_secs()
            );
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall_s = started.elapsed().as_secs_f64();
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    let mut m = Measured {
        wall_s,
        exit_code: status.code(),
        stdout,
        stderr,
        ..Measured::default()
    };
    if let Ok(text) = std::fs::read_to_string(&time_file) {
        parse_time_v(&text, &mut m);
        let _ = std::fs::remove_file(&time_file);
    }
    Ok(m)
}

/// Reads user/system seconds and max RSS from GNU time's `-v` report.
pub fn parse_time_v(text: &str, m: &mut Measured) {
    for line in text.lines() {
        let Some((key, value)) = line.trim().rsplit_once(": ") else {
            continue;
        };
        let value = value.trim();
        match key {
            "User time (seconds)" => m.user_s = value.parse().ok(),
            "System time (seconds)" => m.sys_s = value.parse().ok(),
            "Maximum resident set size (kbytes)" => m.max_rss_kib = value.parse().ok(),
            "Exit status" if m.exit_code.is_none() => m.exit_code = value.parse().ok(),
            _ => {}
        }
    }
}

/// The last stdout line that is a JSON object (the contract of the peers and the native binary).
pub fn last_json_line(stdout: &str) -> Option<serde_json::Value> {
    stdout
        .lines()
        .rev()
        .map(str::trim)
        .filter(|l| l.starts_with('{'))
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(serde_json::Value::is_object)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_gnu_time() {
        let text = "\tCommand being timed: \"x\"\n\tUser time (seconds): 1.25\n\tSystem time (seconds): 0.50\n\tMaximum resident set size (kbytes): 20480\n\tExit status: 0\n";
        let mut m = Measured::default();
        parse_time_v(text, &mut m);
        assert_eq!(m.cpu_s(), Some(1.75));
        assert_eq!(m.max_rss_kib, Some(20480));
    }

    #[test]
    fn finds_the_last_json_line() {
        let out = "progress\n{\"a\":1}\nnoise\n{\"contender\":\"x\",\"events\":3}\n";
        assert_eq!(last_json_line(out).unwrap()["events"], 3);
        assert!(last_json_line("nothing").is_none());
    }
}
