//! Exports a [`Connector`] as the WIT `connector` interface of `cohort:plugin@0.1.0` (connectors have no 0.2.0).

use std::cell::RefCell;
use std::marker::PhantomData;

use super::v0_1_0::connector_world::cohort::plugin::types as wit_types;
use super::v0_1_0::connector_world::exports::cohort::plugin::connector as wit;
use super::{REENTERED, host_log};
use crate::driver::ConnectorSession;
use crate::{Batch, Connector, Diagnostic};

/// Implements the generated `Guest` trait for connector `C`; `export_connector!` exports it.
pub struct ConnectorExport<C>(PhantomData<C>);

/// The `session` resource: one conversion of connector `C`.
pub struct SessionResource<C>(RefCell<ConnectorSession<C>>);

impl<C: Connector> wit::Guest for ConnectorExport<C> {
    type Session = SessionResource<C>;

    fn start(config: String) -> Result<wit::Session, String> {
        host_log::use_v0_1_0();
        let session = ConnectorSession::<C>::start(&config)?;
        Ok(wit::Session::new(SessionResource(RefCell::new(session))))
    }
}

impl<C: Connector> wit::GuestSession for SessionResource<C> {
    fn push(&self, chunk: Vec<u8>) -> Result<wit::Batch, String> {
        host_log::use_v0_1_0();
        let mut session = self.0.try_borrow_mut().map_err(|_| REENTERED.to_owned())?;
        session.push(&chunk).map(to_wit_batch)
    }

    fn finish(&self) -> Result<wit::Batch, String> {
        host_log::use_v0_1_0();
        let mut session = self.0.try_borrow_mut().map_err(|_| REENTERED.to_owned())?;
        session.finish().map(to_wit_batch)
    }
}

fn to_wit_batch(batch: Batch) -> wit::Batch {
    wit::Batch {
        records: batch.records,
        diagnostics: batch
            .diagnostics
            .into_iter()
            .map(to_wit_diagnostic)
            .collect(),
    }
}

fn to_wit_diagnostic(diagnostic: Diagnostic) -> wit_types::Diagnostic {
    wit_types::Diagnostic {
        row: diagnostic.row,
        field: diagnostic.field,
        message: diagnostic.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_keeps_records_and_every_diagnostic_field_in_order() {
        let mut batch = Batch::default();
        batch.records.push(r#"{"source":"crm"}"#.into());
        batch.diagnostic(2, Some("email"), "empty");
        batch.diagnostic(9, None, "too many fields");
        let wit = to_wit_batch(batch);
        assert_eq!(wit.records, [r#"{"source":"crm"}"#]);
        let diagnostics: Vec<_> = wit
            .diagnostics
            .into_iter()
            .map(|d| (d.row, d.field, d.message))
            .collect();
        assert_eq!(
            diagnostics,
            [
                (2, Some("email".to_owned()), "empty".to_owned()),
                (9, None, "too many fields".to_owned())
            ]
        );
    }
}
