//! The revenue ledger: every sale (a purchase, and later a membership
//! payment) booked as one entry per share — creator, platform, partner —
//! by the shares fixed in the sale's event, and every refund booked as the
//! exact negation of its sale's entries.
//!
//! Invariants (checked by [`LedgerView::check`] and the property test): the
//! entries of each sale add up to its price; a refunded sale's refund
//! entries add up to minus its price; each account's balance (per currency)
//! is the sum of its entries. Statements give an account's opening balance,
//! its entries in a period and its closing balance.
//!
//! Amounts and balances are `i128` (see [`super::money`]): any sale the
//! write side ever accepted is booked — also one from an old log priced
//! above today's ceiling, which is booked in full and counted in
//! [`LedgerView::anomalies`] — and no sum can wrap. Only a broken history
//! (a sale booked twice, a refund of an unknown sale, shares that do not
//! add up to the price) stops the ledger.
//!
//! Outsourcing contracts add escrow: per contract, what the client funded,
//! what was released to the vendor (booked as a sale split between the
//! vendor and the platform's fee), what was refunded, and what is held —
//! `funded = released + refunded + held`, always ([`Escrow`]).
//!
//! Adding a source of sales is one arm in [`LedgerView::apply`] calling
//! [`LedgerView::book_sale`] (and [`LedgerView::book_refund`] if it can be
//! refunded).

use std::collections::BTreeMap;

use agora_events::domain::DomainEvent;
use agora_events::domain::content::LazyContentEvent;
use agora_events::domain::contract::ContractEvent;
use agora_events::domain::membership::MembershipEvent;
use agora_events::domain::revenue::{Account, RevenueShare};
use agora_events::{RecordedEvent, Timestamp};
use serde::{Deserialize, Serialize};

use super::money::{self, Sums};
use super::{Projection, SharedEvent};
use agora_events::domain::money::Money;

/// What kind of sale an entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SaleSource {
    /// A purchase of one content item.
    Purchase,
    /// A membership payment (start or renewal).
    Membership,
    /// A release of an outsourcing contract's escrow to its vendor (an
    /// accepted milestone, or the vendor's part of a resolved dispute).
    Outsourcing,
}

/// Whether an entry books a sale or reverses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// One share of a sale (positive).
    Sale,
    /// The reversal of one share of a refunded sale (negative).
    Refund,
}

/// One line of the ledger: money moved to (or back from) one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Position of the event that booked it.
    pub position: u64,
    /// When the sale (or refund) happened.
    pub at: Timestamp,
    /// The sale it belongs to.
    pub sale_id: String,
    /// What kind of sale.
    pub source: SaleSource,
    /// Sale or refund.
    pub kind: EntryKind,
    /// Whose money.
    pub account: Account,
    /// How much, in the currency's minor unit: positive for a sale,
    /// negative for a refund (`i128`: one share of an old sale may be any
    /// `u64`).
    pub amount_cents: i128,
    /// ISO 4217 code.
    pub currency: String,
}

/// A sale to book: what [`LedgerView::book_sale`] needs from any source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sale {
    /// Unique among all sales (e.g. `{content_id}/{purchase_id}`).
    pub id: String,
    /// When it happened.
    pub at: Timestamp,
    /// What kind of sale.
    pub source: SaleSource,
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// The split fixed at the moment of sale; the price is their sum.
    pub shares: Vec<RevenueShare>,
}

/// A booked sale, as the ledger remembers it to reverse it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookedSale {
    /// What kind of sale.
    pub source: SaleSource,
    /// When it happened.
    pub at: Timestamp,
    /// ISO 4217 code.
    pub currency: String,
    /// Its shares.
    pub shares: Vec<RevenueShare>,
    /// When it was refunded, if it was.
    pub refunded_at: Option<Timestamp>,
}

impl BookedSale {
    /// The price: the sum of the shares.
    pub fn price_cents(&self) -> u128 {
        price_of(&self.shares)
    }
}

/// The sum of `shares` (in `u128`: no list of `u64` shares an event can
/// hold overflows it).
fn price_of(shares: &[RevenueShare]) -> u128 {
    shares.iter().map(|s| u128::from(s.amount_cents)).sum()
}

/// Amounts by currency.
pub type Amounts = Sums;

/// An account's statement over `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// Balance before `from`, by currency.
    pub opening: Amounts,
    /// Entries with `from <= at < to`, in booking order.
    pub entries: Vec<LedgerEntry>,
    /// Opening plus the entries, by currency.
    pub closing: Amounts,
}

/// Every entry, indexed by account, and the balances.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LedgerView {
    entries: Vec<LedgerEntry>,
    /// Indexes into `entries`, by account, in booking order.
    by_account: BTreeMap<Account, Vec<usize>>,
    /// Balance by account and currency.
    balances: BTreeMap<Account, Amounts>,
    /// Every sale by id.
    sales: BTreeMap<String, BookedSale>,
    /// Content id → creator id, for version-1 purchases (whole price to
    /// the creator).
    creators: BTreeMap<String, String>,
    /// Sales booked whose price is above [`Money::MAX_MINOR_UNITS`] (from
    /// a log written before the ceiling), and sums that saturated.
    anomalies: u64,
    /// Escrow per outsourcing contract.
    escrow: BTreeMap<String, Escrow>,
}

/// One outsourcing contract's escrow: what the client put in, what was
/// released to the vendor, what was refunded to the client, what is held.
///
/// Invariant (checked by [`LedgerView::check`]):
/// `funded = released + refunded + held` and `held >= 0`, always.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escrow {
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// Put in escrow by the client.
    pub funded: i128,
    /// Released to the vendor (the vendor's and the platform's shares).
    pub released: i128,
    /// Refunded to the client.
    pub refunded: i128,
    /// Held now.
    pub held: i128,
}

impl Escrow {
    /// Whether `funded = released + refunded + held` and nothing held is
    /// negative.
    pub fn balances(&self) -> bool {
        self.held >= 0
            && self
                .released
                .checked_add(self.refunded)
                .and_then(|sum| sum.checked_add(self.held))
                == Some(self.funded)
    }
}

/// The sale id of the release of milestone `index` of contract `contract_id`.
pub fn contract_sale_id(contract_id: &str, index: u32) -> String {
    format!("contract:{contract_id}/{index}")
}

/// The sale id of purchase `purchase_id` of content `content_id`.
pub fn purchase_sale_id(content_id: &str, purchase_id: &str) -> String {
    format!("{content_id}/{purchase_id}")
}

impl LedgerView {
    /// Books `sale`: one positive entry per share. Any amount is booked; a
    /// price above [`Money::MAX_MINOR_UNITS`] is also counted as an
    /// anomaly.
    ///
    /// Fails (and books nothing) only if a sale with this id was booked
    /// already.
    pub fn book_sale(&mut self, position: u64, sale: Sale) -> Result<(), String> {
        if self.sales.contains_key(&sale.id) {
            return Err(format!("sale {:?} was booked already", sale.id));
        }
        let price = price_of(&sale.shares);
        if price > u128::from(Money::MAX_MINOR_UNITS) {
            self.anomaly(&format!(
                "sale {:?} of {price} {} is above the price ceiling; booked in full",
                sale.id, sale.currency
            ));
        }
        for share in &sale.shares {
            self.push(LedgerEntry {
                position,
                at: sale.at,
                sale_id: sale.id.clone(),
                source: sale.source,
                kind: EntryKind::Sale,
                account: share.account.clone(),
                amount_cents: i128::from(share.amount_cents),
                currency: sale.currency.clone(),
            });
        }
        self.sales.insert(
            sale.id,
            BookedSale {
                source: sale.source,
                at: sale.at,
                currency: sale.currency,
                shares: sale.shares,
                refunded_at: None,
            },
        );
        Ok(())
    }

    /// Books the refund of sale `sale_id` at `at`: the exact negation of
    /// each of its entries.
    ///
    /// Fails (and books nothing) if the sale is unknown or was refunded.
    pub fn book_refund(
        &mut self,
        position: u64,
        at: Timestamp,
        sale_id: &str,
    ) -> Result<(), String> {
        let sale = self
            .sales
            .get_mut(sale_id)
            .ok_or_else(|| format!("refund of unknown sale {sale_id:?}"))?;
        if sale.refunded_at.is_some() {
            return Err(format!("sale {sale_id:?} was refunded already"));
        }
        sale.refunded_at = Some(at);
        let sale = sale.clone();
        for share in &sale.shares {
            self.push(LedgerEntry {
                position,
                at,
                sale_id: sale_id.to_owned(),
                source: sale.source,
                kind: EntryKind::Refund,
                account: share.account.clone(),
                amount_cents: -i128::from(share.amount_cents),
                currency: sale.currency.clone(),
            });
        }
        Ok(())
    }

    fn push(&mut self, entry: LedgerEntry) {
        let index = self.entries.len();
        let balance = self.balances.entry(entry.account.clone()).or_default();
        if !money::add(balance, &entry.currency, entry.amount_cents) {
            self.anomaly(&format!(
                "the balance of {:?} in {} saturated",
                entry.account, entry.currency
            ));
        }
        self.by_account
            .entry(entry.account.clone())
            .or_default()
            .push(index);
        self.entries.push(entry);
    }

    /// Records something the ledger booked but a reader should know about.
    fn anomaly(&mut self, what: &str) {
        self.anomalies = self.anomalies.saturating_add(1);
        tracing::warn!(projection = "ledger", "{what}");
    }

    /// How many anomalies were booked: sales priced above
    /// [`Money::MAX_MINOR_UNITS`] (possible only in a log written before the
    /// ceiling) and balances that saturated (never in practice). The ledger
    /// books them and keeps running.
    pub fn anomalies(&self) -> u64 {
        self.anomalies
    }

    /// The escrow of contract `contract_id`, once a milestone was funded.
    pub fn escrow(&self, contract_id: &str) -> Option<&Escrow> {
        self.escrow.get(contract_id)
    }

    /// The balance of `account`, by currency (empty: no entries).
    pub fn balance(&self, account: &Account) -> Amounts {
        self.balances.get(account).cloned().unwrap_or_default()
    }

    /// A sale by id.
    pub fn sale(&self, sale_id: &str) -> Option<&BookedSale> {
        self.sales.get(sale_id)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was booked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries of `sale_id`, in booking order.
    pub fn entries_of_sale<'a>(
        &'a self,
        sale_id: &'a str,
    ) -> impl Iterator<Item = &'a LedgerEntry> + 'a {
        self.entries.iter().filter(move |e| e.sale_id == sale_id)
    }

    /// `account`'s statement over `[from, to)` (open ends when `None`).
    pub fn statement(
        &self,
        account: &Account,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Statement {
        let mut opening = Amounts::new();
        let mut entries = Vec::new();
        let indexes = self.by_account.get(account).map_or(&[][..], Vec::as_slice);
        for entry in indexes.iter().filter_map(|&i| self.entries.get(i)) {
            // A sum that saturates here saturated in the balance too, where
            // it was counted as an anomaly.
            if from.is_some_and(|from| entry.at < from) {
                let _ = money::add(&mut opening, &entry.currency, entry.amount_cents);
            } else if to.is_none_or(|to| entry.at < to) {
                entries.push(entry.clone());
            }
        }
        let mut closing = opening.clone();
        for entry in &entries {
            let _ = money::add(&mut closing, &entry.currency, entry.amount_cents);
        }
        Statement {
            opening,
            entries,
            closing,
        }
    }

    /// Checks the ledger's invariants: each sale's entries add up to its
    /// price (its refund entries to minus its price, when refunded), and
    /// each balance is the sum of its account's entries. Returns the first
    /// broken one.
    pub fn check(&self) -> Result<(), String> {
        let mut by_sale: BTreeMap<&str, (i128, i128)> = BTreeMap::new();
        let mut sums: BTreeMap<&Account, Amounts> = BTreeMap::new();
        for entry in &self.entries {
            let (sold, refunded) = by_sale.entry(entry.sale_id.as_str()).or_default();
            match entry.kind {
                EntryKind::Sale => *sold = sold.saturating_add(entry.amount_cents),
                EntryKind::Refund => *refunded = refunded.saturating_add(entry.amount_cents),
            }
            let _ = money::add(
                sums.entry(&entry.account).or_default(),
                &entry.currency,
                entry.amount_cents,
            );
        }
        for (id, sale) in &self.sales {
            let price = i128::try_from(sale.price_cents()).unwrap_or(i128::MAX);
            let (sold, refunded) = by_sale.get(id.as_str()).copied().unwrap_or_default();
            if sold != price {
                return Err(format!("sale {id:?}: entries {sold} != price {price}"));
            }
            let expected_refund = if sale.refunded_at.is_some() {
                -price
            } else {
                0
            };
            if refunded != expected_refund {
                return Err(format!(
                    "sale {id:?}: refund entries {refunded} != {expected_refund}"
                ));
            }
        }
        for (account, balance) in &self.balances {
            let sum = sums.get(account).cloned().unwrap_or_default();
            if &sum != balance {
                return Err(format!(
                    "{account:?}: balance {balance:?} != entries {sum:?}"
                ));
            }
        }
        for (contract, escrow) in &self.escrow {
            if !escrow.balances() {
                return Err(format!(
                    "contract {contract:?}: escrow {escrow:?} does not balance"
                ));
            }
        }
        Ok(())
    }

    /// Books one Content event of item `content_id`, recorded at `position`.
    fn apply_content(
        &mut self,
        content_id: &str,
        position: u64,
        event: LazyContentEvent<'_>,
    ) -> Result<(), String> {
        match event {
            LazyContentEvent::Drafted(e) => {
                let e = e.get()?;
                self.creators
                    .insert(content_id.to_owned(), e.creator_id.clone());
            }
            LazyContentEvent::Purchased(e) => {
                let e = e.get()?;
                let creator = self.creators.get(content_id).map_or("", String::as_str);
                let shares = e.shares_for(creator);
                let total = price_of(&shares);
                if total != u128::from(e.price.amount_cents) {
                    return Err(format!(
                        "purchase {:?}: shares add up to {total}, the price is {}",
                        e.purchase_id, e.price.amount_cents
                    ));
                }
                let sale = Sale {
                    id: purchase_sale_id(content_id, &e.purchase_id),
                    at: e.purchased_at,
                    source: SaleSource::Purchase,
                    currency: e.price.currency.clone(),
                    shares,
                };
                self.book_sale(position, sale)?;
            }
            LazyContentEvent::PurchaseRefunded(e) => {
                let e = e.get()?;
                let sale_id = purchase_sale_id(content_id, &e.purchase_id);
                self.book_refund(position, e.refunded_at, &sale_id)?;
            }
            _ => {}
        }
        Ok(())
    }
}

impl LedgerView {
    /// Books a membership payment (a start or a renewal) by the shares it
    /// recorded; the sale's time is the start of the period it pays for.
    fn apply_membership(&mut self, event: &RecordedEvent) -> Result<(), String> {
        let (payment_id, paid, shares, at) =
            match MembershipEvent::from_recorded(event).map_err(|e| e.to_string())? {
                MembershipEvent::Started(e) => (e.payment_id, e.paid, e.shares, e.period_start),
                MembershipEvent::Renewed(e) => (e.payment_id, e.paid, e.shares, e.renewed_at),
                _ => return Ok(()),
            };
        let total = price_of(&shares);
        if total != u128::from(paid.amount_cents) {
            return Err(format!(
                "membership payment {payment_id:?}: shares add up to {total}, the price is {}",
                paid.amount_cents
            ));
        }
        let sale = Sale {
            id: format!("membership:{payment_id}"),
            at,
            source: SaleSource::Membership,
            currency: paid.currency,
            shares,
        };
        self.book_sale(event.position, sale)
    }
}

impl LedgerView {
    /// Books one Contract event: a funding into its escrow; an acceptance
    /// out of it, as a sale of the released amount by the shares it
    /// recorded; a resolution out of it, the vendor's part as such a sale
    /// and the rest refunded.
    fn apply_contract(&mut self, event: &RecordedEvent) -> Result<(), String> {
        let decoded = ContractEvent::from_recorded(event).map_err(|e| e.to_string())?;
        match decoded {
            ContractEvent::Funded(e) => {
                let escrow = self.escrow.entry(e.contract_id).or_default();
                escrow.currency = e.amount.currency;
                let amount = i128::from(e.amount.amount_cents);
                escrow.funded = escrow.funded.saturating_add(amount);
                escrow.held = escrow.held.saturating_add(amount);
            }
            ContractEvent::Accepted(e) => {
                let total = price_of(&e.shares);
                if total != u128::from(e.amount.amount_cents) {
                    return Err(format!(
                        "release of {:?} milestone {}: shares add up to {total}, the amount is {}",
                        e.contract_id, e.index, e.amount.amount_cents
                    ));
                }
                self.release(&e.contract_id, i128::from(e.amount.amount_cents), 0)?;
                let sale = Sale {
                    id: contract_sale_id(&e.contract_id, e.index),
                    at: e.accepted_at,
                    source: SaleSource::Outsourcing,
                    currency: e.amount.currency,
                    shares: e.shares,
                };
                self.book_sale(event.position, sale)?;
            }
            ContractEvent::Resolved(e) => {
                let total = price_of(&e.shares);
                if total != u128::from(e.vendor_cents) {
                    return Err(format!(
                        "resolution of {:?} milestone {}: shares add up to {total}, the vendor's part is {}",
                        e.contract_id, e.index, e.vendor_cents
                    ));
                }
                self.release(
                    &e.contract_id,
                    i128::from(e.vendor_cents),
                    i128::from(e.refund_cents),
                )?;
                let sale = Sale {
                    id: contract_sale_id(&e.contract_id, e.index),
                    at: e.resolved_at,
                    source: SaleSource::Outsourcing,
                    currency: e.currency,
                    shares: e.shares,
                };
                self.book_sale(event.position, sale)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Takes `released + refunded` out of `contract_id`'s escrow. Fails
    /// (and changes nothing) if the escrow does not hold that much: the
    /// write side never releases what was not funded.
    fn release(&mut self, contract_id: &str, released: i128, refunded: i128) -> Result<(), String> {
        let escrow = self
            .escrow
            .get_mut(contract_id)
            .ok_or_else(|| format!("release from contract {contract_id:?}, which holds nothing"))?;
        let out = released.saturating_add(refunded);
        if out > escrow.held {
            return Err(format!(
                "contract {contract_id:?} releases {out} but holds {}",
                escrow.held
            ));
        }
        escrow.held -= out;
        escrow.released = escrow.released.saturating_add(released);
        escrow.refunded = escrow.refunded.saturating_add(refunded);
        Ok(())
    }
}

impl Projection for LedgerView {
    const NAME: &'static str = "ledger";
    const VERSION: u32 = 4;

    fn apply_shared(&mut self, shared: &SharedEvent<'_>) -> Result<(), String> {
        let event = shared.recorded();
        if let Some((content_id, content)) = shared.content() {
            return self.apply_content(content_id, event.position, content);
        }
        if MembershipEvent::is_membership_type(&event.event_type) {
            return self.apply_membership(event);
        }
        if ContractEvent::is_contract_type(&event.event_type) {
            return self.apply_contract(event);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
