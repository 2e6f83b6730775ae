//! How many NeoApi calls the simulator answers: through the pure engine, and through the
//! HTTP server on loopback (form POST `Position` polls, as connectors make them).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use neotel_sim::{Platform, Scenario, SimServer};

fn params(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn engine(c: &mut Criterion) {
    let t0 = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let mut neotel = Platform::new(Scenario::default_scenario(), t0);
    for u in 1001..=1010 {
        let u = u.to_string();
        neotel
            .call(
                t0,
                "Login",
                &params(&[
                    ("DEVICE", &format!("SIP/{u}")),
                    ("USUARIO", &u),
                    ("CLAVE", &u),
                ]),
            )
            .unwrap();
    }
    let poll = params(&[("USUARIO", "1005")]);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(1));
    group.bench_function("Position", |b| {
        b.iter(|| black_box(neotel.call(t0, "Position", &poll).unwrap()));
    });
    // One whole predictive contact: delivered, answered, shown, hung up, categorized, freed
    // (6 NeoApi calls and 2 control operations).
    let mut cycle = Platform::new(Scenario::default_scenario(), t0);
    let user = params(&[("USUARIO", "1001")]);
    cycle
        .call(
            t0,
            "Login",
            &params(&[
                ("DEVICE", "SIP/1001"),
                ("USUARIO", "1001"),
                ("CLAVE", "1001"),
            ]),
        )
        .unwrap();
    cycle
        .call(
            t0,
            "Login_Campaign2",
            &params(&[("USUARIO", "1001"), ("CAMPANA", "97")]),
        )
        .unwrap();
    let deliver = neotel_sim::DeliverRequest {
        campaign: 97,
        ..Default::default()
    };
    group.bench_function("predictive contact cycle", |b| {
        b.iter(|| {
            let d = cycle.deliver_contact(t0, &deliver).unwrap();
            cycle.agent_answer(t0, "1001").unwrap();
            let (base, id) = (d.base.to_string(), d.contact_id.to_string());
            let contact = params(&[
                ("USUARIO", "1001"),
                ("BASE", &base),
                ("IDCONTACTO", &id),
                ("DATA", &d.data),
            ]);
            cycle.call(t0, "Position", &user).unwrap();
            cycle.call(t0, "CRM_ShowingContact", &contact).unwrap();
            cycle.call(t0, "Hangup", &user).unwrap();
            let update = params(&[
                ("CRM", "4"),
                ("USUARIO", "1001"),
                ("BASE", &base),
                ("IDCONTACTO", &id),
                ("DATA", &d.data),
                ("SUBCATEGORIA", "26"),
                ("XML_UPDATE", ""),
                ("AGENDA", "false"),
                ("FECHA_AGENDA", "2000-01-01T00:00:00"),
                ("USUARIO_AGENDA", ""),
                ("TEL_AGENDA", ""),
            ]);
            cycle.call(t0, "UpdateContact", &update).unwrap();
            black_box(cycle.call(t0, "CRM_Available", &user).unwrap());
        });
    });
    group.finish();
}

fn http(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (sim, client) = rt.block_on(async {
        let sim = SimServer::start("127.0.0.1:0".parse().unwrap(), Scenario::default_scenario())
            .await
            .unwrap();
        let client = reqwest::Client::new();
        let url = format!("{}/neoapi/webservice.asmx/Login", sim.base_url());
        client
            .post(url)
            .form(&[
                ("DEVICE", "SIP/1001"),
                ("USUARIO", "1001"),
                ("CLAVE", "1001"),
            ])
            .send()
            .await
            .unwrap();
        (sim, client)
    });
    let url = format!("{}/neoapi/webservice.asmx/Position", sim.base_url());
    let mut group = c.benchmark_group("http");
    // 32 polls in flight, as many agents' sessions would make them
    group.throughput(Throughput::Elements(32));
    group.bench_function("Position x32 concurrent", |b| {
        b.to_async(&rt).iter(|| async {
            let polls = (0..32).map(|_| client.post(&url).form(&[("USUARIO", "1001")]).send());
            for r in futures::future::join_all(polls).await {
                black_box(r.unwrap().bytes().await.unwrap());
            }
        });
    });
    group.finish();
    rt.block_on(sim.shutdown());
}

criterion_group!(benches, engine, http);
criterion_main!(benches);
