package feedback

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// ExportColumns are the columns of the CSV export, one row per item.
var ExportColumns = []string{
	"id", "board_id", "title", "type", "status", "areas", "votes", "weighted_arr", "weighted_plan",
	"votes_7d", "votes_prev_7d", "votes_30d", "votes_prev_30d", "trend_7d", "trend_30d", "theme", "created_at",
}

// WriteCSV writes every item of in with its figures, one row each. Cells
// that a spreadsheet would run as a formula are prefixed with a quote.
func WriteCSV(w io.Writer, in *Insights) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, r := range in.All {
		row := []string{
			itoa(r.ID), itoa(r.BoardID), cell(r.Title), r.Type, r.Status, cell(strings.Join(r.Areas, ";")), itoa(r.Votes),
			f(r.WeightedARR), f(r.WeightedPlan), itoa(r.Votes7d), itoa(r.VotesPrev7d), itoa(r.Votes30d), itoa(r.VotesPrev30d),
			itoa(r.Trend7d), itoa(r.Trend30d), cell(r.Theme), r.CreatedAt.UTC().Format(time.RFC3339),
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell defuses spreadsheet formulas in user text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
