//! CSV files for spreadsheets: every CSV the API sends is written here, so that each gets the
//! same byte-order mark (Excel then reads Vietnamese as UTF-8), quoting (the `csv` crate) and
//! formula neutralising of text cells ([`spreadsheet_text`]).

use crate::domain::text::spreadsheet_text;

/// One cell: text that came from people (names, codes), or a number the code wrote itself.
/// Numbers are never escaped, so that a spreadsheet can still add them up (`-3` stays `-3`).
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Number(String),
}

/// The CSV document: a byte-order mark, the header, then the rows, with CRLF line ends.
pub fn csv_document<'a>(header: &[&str], rows: impl IntoIterator<Item = &'a [Cell]>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing into memory cannot fail; a failure would only lose the row.
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(row.iter().map(|c| match c {
            Cell::Text(t) => spreadsheet_text(t).into_owned(),
            Cell::Number(n) => n.clone(),
        }));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_are_neutralised_and_quoted_numbers_are_not() {
        let rows = [
            vec![
                Cell::Text("=HYPERLINK(\"http://x\",\"Bấm\")".into()),
                Cell::Number("-3".into()),
                Cell::Number(String::new()),
            ],
            vec![
                Cell::Text("Phường A, B".into()),
                Cell::Number("0.25".into()),
                Cell::Number("7".into()),
            ],
        ];
        let doc = csv_document(&["label", "n", "m"], rows.iter().map(Vec::as_slice));
        assert_eq!(
            doc,
            "\u{feff}label,n,m\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"Bấm\"\")\",-3,\r\n\"Phường A, B\",0.25,7\r\n"
        );
    }
}
