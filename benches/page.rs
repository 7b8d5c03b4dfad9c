//! The fetch side of the drain hot path, one Auth0 logs page at a time:
//! parsing a page of 100 realistic ~1 KB events, comparing log_ids, and the run
//! loop's per-event work (duplicate check, then the batch).
//!
//! `fixtures/logs-page-100.json` is a page as the simulator serves it
//! (`auth0-audit simulate`, seed 42, 1 KB events, `GET /api/v2/logs?from=..&take=100`).

use std::hint::black_box;

use auth0_audit_component::event::{LogEvent, log_id_cmp, parse_page};
use auth0_audit_component::model::SinkFormat;
use auth0_audit_component::sync::batch::Batch;
use auth0_audit_component::sync::filter::TypeFilter;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

mod common;
use common::{PAGE, sink};

fn events() -> Vec<LogEvent> {
    parse_page(PAGE).unwrap_or_default()
}

fn parse(c: &mut Criterion) {
    assert_eq!(events().len(), 100, "the fixture is a page of 100 events");
    let mut group = c.benchmark_group("page");
    group.throughput(Throughput::Bytes(PAGE.len() as u64));
    group.bench_function("parse_page/100x1KB", |b| {
        b.iter(|| parse_page(black_box(PAGE)))
    });
    group.finish();
}

fn compare(c: &mut Criterion) {
    let ids: Vec<String> = events().into_iter().map(|e| e.log_id).collect();
    let mut group = c.benchmark_group("log_id_cmp");
    group.throughput(Throughput::Elements(ids.len() as u64));
    // The run loop's duplicate check: every event against the cursor before it.
    group.bench_function("page_against_cursor", |b| {
        b.iter(|| {
            let mut cursor = black_box(ids[0].as_str());
            let mut dropped = 0u32;
            for id in &ids[1..] {
                if log_id_cmp(black_box(id), cursor).is_le() {
                    dropped += 1;
                } else {
                    cursor = id;
                }
            }
            dropped
        })
    });
    group.bench_function("different_lengths", |b| {
        b.iter(|| log_id_cmp(black_box("9"), black_box("10")))
    });
    group.finish();
}

/// What the run loop does with a parsed page (without I/O): duplicate check,
/// cursor update, batch add (usage observation, filter, NDJSON formatting).
fn drain(c: &mut Criterion) {
    let Some(ndjson) = sink(SinkFormat::Ndjson) else {
        return;
    };
    let filter = TypeFilter::default();
    let mut group = c.benchmark_group("drain");
    group.throughput(Throughput::Bytes(PAGE.len() as u64));
    group.bench_function("batch_add/100x1KB", |b| {
        b.iter_batched(
            events,
            |page| {
                let mut batch = Batch::default();
                let mut cursor: Option<String> = None;
                for event in page {
                    if cursor
                        .as_deref()
                        .is_some_and(|c| log_id_cmp(&event.log_id, c).is_le())
                    {
                        continue;
                    }
                    cursor = Some(event.log_id.clone());
                    batch.add(event, &ndjson, &filter);
                }
                batch
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("parse_and_batch/100x1KB", |b| {
        b.iter(|| {
            let mut batch = Batch::default();
            for event in parse_page(black_box(PAGE)).unwrap_or_default() {
                batch.add(event, &ndjson, &filter);
            }
            batch
        })
    });
    group.finish();
}

criterion_group!(benches, parse, compare, drain);
criterion_main!(benches);
