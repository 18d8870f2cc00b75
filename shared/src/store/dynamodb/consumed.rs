//! Capacity units DynamoDB reports it consumed (`ReturnConsumedCapacity`), summed for
//! benchmarks and cost tables. Off unless a meter is attached with
//! [`DynamoStore::with_consumed_capacity`], so production requests stay as they were.
//!
//! [`DynamoStore::with_consumed_capacity`]: super::DynamoStore::with_consumed_capacity

use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::types::ConsumedCapacity as SdkConsumed;

/// Units are kept in thousandths: DynamoDB reports halves for eventually consistent reads, and
/// integers add up without rounding drift.
const MILLI: f64 = 1000.0;

/// Whether an operation reads or writes, which decides the column its units are added to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    Read,
    Write,
}

/// Running totals of the capacity units DynamoDB reported, table and indexes together.
#[derive(Debug, Default)]
pub struct ConsumedMeter {
    read_milli: AtomicU64,
    write_milli: AtomicU64,
}

/// A copy of the totals at one moment, in capacity units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Consumed {
    pub read_units: f64,
    pub write_units: f64,
}

impl Consumed {
    /// Units consumed since `earlier`.
    pub fn since(&self, earlier: &Consumed) -> Consumed {
        Consumed {
            read_units: self.read_units - earlier.read_units,
            write_units: self.write_units - earlier.write_units,
        }
    }
}

impl ConsumedMeter {
    pub fn snapshot(&self) -> Consumed {
        let units = |counter: &AtomicU64| counter.load(Ordering::Relaxed) as f64 / MILLI;
        Consumed { read_units: units(&self.read_milli), write_units: units(&self.write_milli) }
    }

    /// Adds what one response reported. `CapacityUnits` is the total over the table and its
    /// indexes; a response without it (the meter was attached but DynamoDB sent nothing)
    /// adds nothing.
    pub(super) fn record<'a>(&self, usage: Usage, reports: impl IntoIterator<Item = &'a SdkConsumed>) {
        let units: f64 = reports.into_iter().filter_map(|report| report.capacity_units).sum();
        let counter = match usage {
            Usage::Read => &self.read_milli,
            Usage::Write => &self.write_milli,
        };
        counter.fetch_add((units * MILLI).round() as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_reports_by_usage_in_halves() {
        let meter = ConsumedMeter::default();
        let half = SdkConsumed::builder().capacity_units(0.5).build();
        let three = SdkConsumed::builder().capacity_units(3.0).build();
        let empty = SdkConsumed::builder().build();
        meter.record(Usage::Read, [&half, &half, &half]);
        meter.record(Usage::Write, [&three, &empty]);
        let before = meter.snapshot();
        assert_eq!(before, Consumed { read_units: 1.5, write_units: 3.0 });
        meter.record(Usage::Write, [&half]);
        assert_eq!(meter.snapshot().since(&before), Consumed { read_units: 0.0, write_units: 0.5 });
    }
}
