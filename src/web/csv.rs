//! The one CSV writer of every export (audit log today; orders, tickets,
//! analytics later): a header, rows, and a download response. Cells that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) are written with a leading `'`, as OWASP's
//! CSV-injection advice says, so they open as text.

use crate::error::AppError;
use rocket::http::{ContentType, Header};
use std::borrow::Cow;

/// A cell as it may safely be written.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A CSV document being written.
pub struct CsvExport {
    out: csv::Writer<Vec<u8>>,
}

fn fail(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("csv: {e}"))
}

impl CsvExport {
    /// Starts a document with its header row.
    pub fn new(header: &[&str]) -> Result<CsvExport, AppError> {
        let mut export = CsvExport {
            out: csv::Writer::from_writer(vec![]),
        };
        export.row(header.iter().copied())?;
        Ok(export)
    }

    /// Writes one row, each cell neutralised.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> Result<(), AppError> {
        let cells: Vec<Cow<'_, str>> = cells.into_iter().map(neutralise).collect();
        self.out.write_record(cells.iter().map(|c| c.as_bytes())).map_err(fail)
    }

    /// The document's bytes.
    pub fn into_bytes(self) -> Result<Vec<u8>, AppError> {
        self.out.into_inner().map_err(fail)
    }

    /// The document as a download named `filename` (`audit-shop.csv`).
    pub fn download(self, filename: &str) -> Result<CsvFile, AppError> {
        let safe: String = filename
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        Ok(CsvFile {
            body: self.into_bytes()?,
            content_type: ContentType::CSV,
            disposition: Header::new("Content-Disposition", format!("attachment; filename=\"{safe}\"")),
        })
    }
}

/// A CSV download.
#[derive(rocket::Responder)]
pub struct CsvFile {
    body: Vec<u8>,
    content_type: ContentType,
    disposition: Header<'static>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_open_as_text() {
        let mut export = CsvExport::new(&["a", "b"]).unwrap();
        export.row(["=HYPERLINK(\"http://evil.example\")", "plain"]).unwrap();
        export.row(["+1", "-2"]).unwrap();
        export.row(["@SUM(A1)", "\tx"]).unwrap();
        let text = String::from_utf8(export.into_bytes().unwrap()).unwrap();
        let cells: Vec<String> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
            .collect();
        assert_eq!(
            cells,
            [
                "'=HYPERLINK(\"http://evil.example\")",
                "plain",
                "'+1",
                "'-2",
                "'@SUM(A1)",
                "'\tx"
            ]
        );
        assert_eq!(neutralise("a=b"), "a=b");
    }
}
