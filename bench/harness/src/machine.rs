//! What machine the numbers come from: CPU, cores, memory, kernel and tool versions.

use std::process::Command;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub rustc: String,
    pub python: String,
    pub node: String,
    pub time_tool: bool,
    pub hyperfine: Option<String>,
    pub date: String,
}

fn first_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

/// `/usr/bin/time` (GNU time, for `-v`), if installed.
pub const TIME: &str = "/usr/bin/time";

pub fn has_time() -> bool {
    std::path::Path::new(TIME).is_file()
}

pub fn hyperfine_version() -> Option<String> {
    first_line("hyperfine", &["--version"])
}

impl Machine {
    pub fn detect(python: Option<&std::path::Path>) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown CPU".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kb: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| format!("Linux {}", s.trim()))
            .unwrap_or_else(|_| std::env::consts::OS.to_string());
        let python_cmd = python
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "python3".into());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib: mem_kb / (1024.0 * 1024.0),
            kernel,
            rustc: first_line("rustc", &["--version"]).unwrap_or_else(|| "rustc ?".into()),
            python: first_line(&python_cmd, &["--version"]).unwrap_or_else(|| "none".into()),
            node: first_line("node", &["--version"])
                .map(|v| format!("Node.js {v}"))
                .unwrap_or_else(|| "none".into()),
            time_tool: has_time(),
            hyperfine: hyperfine_version(),
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    /// One line for the top of BENCHMARKS.md.
    pub fn describe(&self) -> String {
        format!(
            "{} — {} cores, {:.1} GiB memory, {}; {}, {}, {}",
            self.cpu, self.cores, self.memory_gib, self.kernel, self.rustc, self.python, self.node
        )
    }
}
