//! Parsing the real `Position` strings, and encoding/decoding SOAP.
//!
//! `cargo bench -p neotel-api --bench position -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use neotel_api::{Binding, Position, Request, Schedule};

const SAMPLES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/position-samples.txt"
));

fn position(c: &mut Criterion) {
    let lines: Vec<&str> = SAMPLES
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let mut group = c.benchmark_group("position");
    for (name, line) in [
        "2019_52_keys",
        "2014_idle",
        "2014_unregistered",
        "2014_44_keys",
    ]
    .iter()
    .zip(&lines)
    {
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| Position::parse(black_box(line)).expect("fixtures parse"));
        });
    }
    let parsed = Position::parse(lines[0]).expect("fixtures parse");
    group.bench_function("agent_state", |b| {
        b.iter(|| black_box(&parsed).agent_state());
    });
    group.finish();
}

fn soap(c: &mut Criterion) {
    let update = Request::UpdateContact {
        crm: 1,
        user: "1001".into(),
        base: 134,
        contact_id: 641_175,
        data: "003000000000001AAA".into(),
        subcategory: 26,
        xml_update: String::new(),
        schedule: Some(Schedule {
            at: chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
                .and_then(|d| d.and_hms_opt(16, 0, 0))
                .expect("a valid date"),
            user: "1001".into(),
            phone: "1144445555".into(),
        }),
    };
    let line = SAMPLES
        .lines()
        .find(|l| l.starts_with("DEVICE="))
        .expect("a fixture");
    let request = Request::Position {
        user: "1002".into(),
    };
    let escaped = line.replace('&', "&amp;").replace('<', "&lt;");
    let response = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body><PositionResponse xmlns=\"http://tempuri.org/\"><PositionResult>{escaped}</PositionResult></PositionResponse></soap:Body></soap:Envelope>"
    );
    let mut group = c.benchmark_group("soap");
    group.bench_function("encode/UpdateContact", |b| {
        b.iter(|| Binding::Soap.encode(black_box(&update)));
    });
    group.bench_function("decode/PositionResponse", |b| {
        b.iter(|| {
            Binding::Soap
                .decode(&request, 200, black_box(response.as_bytes()))
                .expect("decodes")
        });
    });
    group.bench_function("decode+parse/PositionResponse", |b| {
        b.iter(
            || match Binding::Soap.decode(&request, 200, black_box(response.as_bytes())) {
                Ok(neotel_api::Reply::String(s)) => Position::parse(&s).expect("parses"),
                other => panic!("unexpected {other:?}"),
            },
        );
    });
    group.bench_function("encode/form/UpdateContact", |b| {
        b.iter(|| Binding::Form.encode(black_box(&update)));
    });
    group.finish();
}

criterion_group!(benches, position, soap);
criterion_main!(benches);
