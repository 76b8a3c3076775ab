//! Select-next-item plus posterior update, on 600- and 10,000-item banks.
//!
//!     cargo bench --bench engine

use palpate::domain::irt::sim::synthetic_bank;
use palpate::domain::irt::{
    ItemParams, ItemPool, ItemStatus, PoolItem, Program, SelectionContext, Session,
};

fn pool(n: usize) -> ItemPool {
    let items = synthetic_bank(n, 20240601)
        .into_iter()
        .map(|b| PoolItem {
            id: b.id,
            params: ItemParams::new(b.a, b.b, b.c).expect("valid synthetic parameters"),
            area: b.domain,
            subarea: None,
            enemies: vec![],
            status: ItemStatus::Operational,
            exposure_rate: 0.0,
            n_responses: 0,
        })
        .collect();
    ItemPool::new(items).expect("valid pool")
}

fn main() {
    divan::main();
}

/// One step of a readiness check half-way through: choose the next item and record an answer.
#[divan::bench(args = [600, 10_000])]
fn select_and_update(bencher: divan::Bencher, n: usize) {
    let pool = pool(n);
    let ctx = SelectionContext::empty(&pool);
    let mut program = Program::readiness();
    program.blueprint =
        palpate::domain::irt::sim::proportional_blueprint(&synthetic_bank(n, 20240601))
            .expect("blueprint");
    program.stopping.max_items = 100;
    program.stopping.min_items = 100;
    program.stopping.rule = palpate::domain::irt::StopRule::None;
    bencher
        .with_inputs(|| {
            let mut s = Session::new(program.clone(), 7, 0.0).expect("session");
            for i in 0..40 {
                let c = s.next_item(&pool, &ctx).expect("next").expect("item");
                s.record(&c.item_id, i % 3 != 0).expect("record");
            }
            s
        })
        .bench_local_values(|mut s| {
            let c = s.next_item(&pool, &ctx).expect("next").expect("item");
            s.record(&c.item_id, true).expect("record");
            s
        });
}
