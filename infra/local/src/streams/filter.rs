//! The filter criteria of the stream consumers' event source mappings.

use aws_lambda_events::dynamodb::EventRecord;
use chirp_shared::store::ItemExt;

/// Returns whether a record passes a consumer's filter criteria. The criteria are the two
/// patterns `template.yaml` gives each mapping, `{"dynamodb": {"NewImage": {"entity": {"S":
/// [...]}}}}` and the same on `OldImage`, so a record passes when either image has a string
/// `entity` in `entities`. An empty list accepts every record, as a mapping without criteria.
pub fn accepts(entities: &[&str], record: &EventRecord) -> bool {
    if entities.is_empty() {
        return true;
    }
    let in_list = |image: &chirp_shared::store::Item| {
        image.string("entity").is_some_and(|entity| entities.contains(&entity))
    };
    in_list(&record.change.new_image) || in_list(&record.change.old_image)
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::dynamodb::EventRecord;
    use chirp_shared::store::{Item, string};

    use super::accepts;

    fn record(old_entity: Option<&str>, new_entity: Option<&str>) -> EventRecord {
        let image = |entity: Option<&str>| {
            let mut item = Item::default();
            if let Some(entity) = entity {
                item.insert("entity".to_owned(), string(entity));
            }
            item
        };
        let mut record = EventRecord::default();
        record.change.old_image = image(old_entity);
        record.change.new_image = image(new_entity);
        record
    }

    #[test]
    fn new_image_entity_passes() {
        assert!(accepts(&["tweet", "following"], &record(None, Some("tweet"))));
    }

    #[test]
    fn old_image_entity_passes() {
        // A REMOVE has only the old image.
        assert!(accepts(&["following"], &record(Some("following"), None)));
    }

    #[test]
    fn other_entity_rejected() {
        assert!(!accepts(&["tweet", "following"], &record(Some("timeline"), Some("timeline"))));
    }

    #[test]
    fn missing_entity_rejected() {
        assert!(!accepts(&["tweet"], &record(None, None)));
    }

    #[test]
    fn empty_list_accepts_all() {
        assert!(accepts(&[], &record(None, Some("counter"))));
    }
}
