//! The sink side of the drain hot path: one page of 100 realistic ~1 KB events
//! formatted into a batch body, in each of the four sink formats.

use std::hint::black_box;

use auth0_audit_component::event::{LogEvent, parse_page};
use auth0_audit_component::model::SinkFormat;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod common;
use common::{PAGE, sink};

fn formats(c: &mut Criterion) {
    let events: Vec<LogEvent> = parse_page(PAGE).unwrap_or_default();
    assert_eq!(events.len(), 100, "the fixture is a page of 100 events");
    let mut group = c.benchmark_group("sink_format");
    group.throughput(Throughput::Bytes(PAGE.len() as u64));
    for (name, format) in [
        ("ndjson", SinkFormat::Ndjson),
        ("log-streams", SinkFormat::LogStreams),
        ("splunk-hec", SinkFormat::SplunkHec),
        ("elastic-bulk", SinkFormat::ElasticBulk),
    ] {
        let Some(sink) = sink(format) else {
            continue;
        };
        // A fresh body per batch, as the run loop does.
        group.bench_function(format!("{name}/100x1KB"), |b| {
            b.iter(|| {
                let mut body = Vec::new();
                for event in &events {
                    sink.append(&mut body, black_box(event));
                }
                body
            })
        });
    }
    group.finish();
}

criterion_group!(benches, formats);
criterion_main!(benches);
