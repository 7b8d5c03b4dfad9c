//! A progress line on stderr while a backlog drains. The component runs as one
//! call, so progress is read from what the host sees go by: sink traffic.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Reads (log pages fetched, sink batches posted) so far in this run.
pub type Probe = Box<dyn Fn() -> (u64, u64) + Send + Sync>;

pub struct Progress {
    stop: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts updating one stderr line every 250 ms, only on a terminal.
    pub fn start(label: String, probe: Probe) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Progress { stop, task: None };
        }
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let (pages, batches) = probe();
                let secs = started.elapsed().as_secs_f64();
                let mut err = std::io::stderr();
                let _ = write!(
                    err,
                    "\r\x1b[2K{label}: {pages} pages fetched (up to {} events), {batches} batches delivered, {secs:.0} s",
                    pages * 100
                );
                let _ = err.flush();
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        });
        Progress {
            stop,
            task: Some(task),
        }
    }

    pub async fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
