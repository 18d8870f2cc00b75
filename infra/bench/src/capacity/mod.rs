//! Capacity units per request on the DynamoDB path: the round-trip scenarios run on a fresh
//! table of a local DynamoDB-compatible server (moto on 127.0.0.1), with two figures per
//! request: the units computed from item sizes (`units`), and the units the server reported
//! through `ReturnConsumedCapacity`. moto's reports are known to be wrong; on AWS they are the
//! bill.
//!
//! The fan-out runs on stream records the capacity wrapper builds from the images it reads
//! around each write, so no stream poller is needed.

pub mod store;
pub mod units;

use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::dynamodb::Event;
use chirp_shared::app::App;
use chirp_shared::config::Config;
use chirp_shared::ratelimit::RateLimits;
use chirp_shared::store::Store;
use chirp_shared::store::dynamodb::DynamoStore;
use chirp_shared::store::dynamodb::consumed::ConsumedMeter;
use chirp_shared::store::metered::MeteredStore;
use chirp_shared::store::sqlite::ChangeRecord;

use self::store::CapacityStore;
use crate::dynamo::BenchTable;
use crate::round_trips::{Cost, Reading, Rig};

/// Records per stream event, as the fan-out's event source mapping batches them.
const STREAM_BATCH: usize = 100;

/// Rounds of fan-out before giving up: each round handles the changes the previous one made,
/// and the fan-out's own writes (timeline entries) produce no further work.
const MAX_DRAIN_ROUNDS: usize = 20;

/// Signing secret of the benchmark's apps (at least 32 bytes).
pub const SECRET: &str = "chirp-bench-secret-of-at-least-32-bytes";

/// The app on DynamoDB, metered three ways: round trips (outside), computed units (middle)
/// and reported units (the DynamoDB store itself).
pub struct DynamoRig {
    app: App,
    metered: Arc<MeteredStore>,
    capacity: Arc<CapacityStore>,
    reported: Arc<ConsumedMeter>,
    /// Every change the fan-out was offered, whatever its entity, for events of other handlers.
    seen: std::sync::Mutex<Vec<ChangeRecord>>,
}

impl DynamoRig {
    /// Builds the rig on `table`, with rate limits off until [`DynamoRig::limit_rates`].
    pub fn new(table: &BenchTable) -> Result<Self, String> {
        let reported = Arc::new(ConsumedMeter::default());
        let measured = DynamoStore::new(table.client.clone(), &table.name).with_consumed_capacity(reported.clone());
        let images: Arc<dyn Store> = Arc::new(DynamoStore::new(table.client.clone(), &table.name));
        let capacity = Arc::new(CapacityStore::new(Arc::new(measured), images));
        let metered = Arc::new(MeteredStore::new(capacity.clone()));
        let app = App::new(metered.clone(), &config())?.with_rate_limits(RateLimits::off());
        Ok(Self { app, metered, capacity, reported, seen: Default::default() })
    }

    /// Switches to the contract's default rate limits, so each request pays for its counter as
    /// in production.
    pub fn limit_rates(&mut self) -> Result<(), String> {
        self.app = App::new(self.metered.clone(), &config())?;
        Ok(())
    }

    /// The stream records of every change written before the last [`Rig::drain`].
    pub fn seen_changes(&self) -> Vec<ChangeRecord> {
        self.seen.lock().expect("not poisoned").clone()
    }
}

fn config() -> Config {
    Config { secret: SECRET.as_bytes().to_vec(), token_ttl_seconds: 3600 }
}

#[async_trait]
impl Rig for DynamoRig {
    fn app(&self) -> &App {
        &self.app
    }

    fn reading(&self) -> Reading {
        Reading {
            counts: self.metered.round_trips.snapshot(),
            computed: Some(self.capacity.snapshot()),
            reported: Some(self.reported.snapshot()),
        }
    }

    async fn drain(&self) -> Result<(), String> {
        let entities = chirp_local::pump::fanout().entities;
        let store: Arc<dyn Store> = self.metered.clone();
        for _ in 0..MAX_DRAIN_ROUNDS {
            let all = self.capacity.take_changes();
            self.seen.lock().expect("not poisoned").extend(all.iter().cloned());
            let changes: Vec<ChangeRecord> = all.into_iter().filter(|change| entity_in(change, entities)).collect();
            if changes.is_empty() {
                return Ok(());
            }
            for batch in changes.chunks(STREAM_BATCH) {
                let event: Event = chirp_local::pump::event_of(batch);
                let response = chirp_fanout::handle(&store, event).await;
                if !response.batch_item_failures.is_empty() {
                    return Err(format!("the fan-out failed on {} records", response.batch_item_failures.len()));
                }
            }
        }
        Err(format!("the fan-out still wrote fan-out input after {MAX_DRAIN_ROUNDS} rounds"))
    }
}

/// Whether the record's item (new image, or old for a removal) is of one of `entities`, as the
/// event source mapping's filter criteria decide.
pub fn entity_in(change: &ChangeRecord, entities: &[&str]) -> bool {
    use chirp_shared::store::ItemExt;
    let image = change.new_image.as_ref().or(change.old_image.as_ref());
    image.and_then(|item| item.string("entity")).is_some_and(|entity| entities.contains(&entity))
}

/// Seeds a fresh table at `endpoint` and measures every scenario on it.
pub async fn measure(endpoint: &str) -> Result<Vec<Cost>, String> {
    let table = BenchTable::create(endpoint).await?;
    let result = measure_on(&table).await;
    table.delete().await;
    result
}

async fn measure_on(table: &BenchTable) -> Result<Vec<Cost>, String> {
    let mut rig = DynamoRig::new(table)?;
    let seeded = crate::seed::seed(&rig).await?;
    rig.limit_rates()?;
    crate::round_trips::scenarios(&rig, &seeded.cast).await
}

pub fn markdown(costs: &[Cost]) -> String {
    let mut out = String::from(
        "## Capacity units per request on DynamoDB\n\n\
         Computed: from item sizes by DynamoDB's rules. Reported: `ReturnConsumedCapacity` as the \
         local server returned it. Sequential: the round trips that ran one after another, which \
         is what the client waits for.\n\n\
         | request | round trips | sequential | computed RCU | computed WCU | reported RCU | reported WCU |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for cost in costs {
        let computed = cost.reading.computed.unwrap_or_default();
        let reported = cost.reading.reported.unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            cost.request,
            cost.reading.counts.total(),
            cost.reading.counts.sequential,
            computed.read,
            computed.write,
            reported.read_units,
            reported.write_units
        ));
    }
    out
}
