package webui

import (
	"math"
	"strconv"
	"strings"
)

// Charts for the insights dashboard, drawn on the server as inline SVG
// (partials/charts.html): no chart library, no script, nothing inline that
// the Content-Security-Policy would refuse (geometry is attributes, colours
// come from community.css). Each chart names itself for assistive
// technology (<title>, <desc>, aria-labelledby) and carries its figures as
// a data table.

// chart is one bar chart and the table of its data.
type chart struct {
	ID            string // unique on the page, for aria-labelledby
	Title, Desc   string
	Width, Height int
	Horizontal    bool
	Bars          []chartBar
	Head          []string   // the data table's column headings
	Rows          [][]string // and its rows; the first cell heads its row
}

// chartBar is a bar with its label and value, in viewBox units.
type chartBar struct {
	Label, Value   string
	ShowLabel      bool
	X, Y, W, H     float64
	LX, LY, VX, VY float64 // where the label and the value are written
}

// chartPoint is one labelled value.
type chartPoint struct {
	Label string
	Value float64
}

const (
	columnWidth  = 640 // viewBox of a column chart
	columnHeight = 240
	columnTop    = 22 // room for the values above the bars
	columnBottom = 28 // room for the labels under them
	rowHeight    = 30 // one bar of a horizontal chart
	labelWidth   = 190
	barMax       = 360 // longest horizontal bar
	chartPad     = 8
	maxLabel     = 22 // characters of a label written in the chart
)

// columns lays points out as vertical bars (months left to right). With
// many points only every k-th label is written, so they never overlap;
// every value stays in the bar's own title and in the table.
func columns(points []chartPoint) ([]chartBar, int, int) {
	n := len(points)
	bars := make([]chartBar, n)
	if n == 0 {
		return bars, columnWidth, columnHeight
	}
	top := peak(points)
	slot := float64(columnWidth-2*chartPad) / float64(n)
	plot := float64(columnHeight - columnTop - columnBottom)
	every := int(math.Ceil(float64(n) / 12))
	for i, p := range points {
		h := 0.0
		if top > 0 {
			h = p.Value / top * plot
		}
		x := chartPad + float64(i)*slot
		b := chartBar{Label: p.Label, Value: fmtNum(p.Value), ShowLabel: i%every == 0,
			X: round1(x + slot*0.15), W: round1(slot * 0.7), H: round1(h), Y: round1(columnTop + plot - h)}
		b.LX, b.LY = round1(x+slot/2), columnHeight-10
		b.VX, b.VY = b.LX, round1(b.Y-5)
		bars[i] = b
	}
	return bars, columnWidth, columnHeight
}

// rows lays points out as horizontal bars, top to bottom.
func rows(points []chartPoint) ([]chartBar, int, int) {
	bars := make([]chartBar, len(points))
	top := peak(points)
	for i, p := range points {
		w := 0.0
		if top > 0 {
			w = p.Value / top * barMax
		}
		y := float64(chartPad + i*rowHeight)
		b := chartBar{Label: shorten(p.Label), Value: fmtNum(p.Value), ShowLabel: true,
			X: labelWidth, Y: y + 4, W: round1(w), H: rowHeight - 8}
		b.LX, b.LY = labelWidth-8, y+rowHeight/2+4
		b.VX, b.VY = round1(labelWidth+w+6), b.LY
		bars[i] = b
	}
	return bars, labelWidth + barMax + 80, 2*chartPad + len(points)*rowHeight
}

func peak(points []chartPoint) float64 {
	top := 0.0
	for _, p := range points {
		top = max(top, p.Value)
	}
	return top
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func shorten(s string) string {
	r := []rune(s)
	if len(r) <= maxLabel {
		return s
	}
	return string(r[:maxLabel-1]) + "…"
}

// fmtNum writes a figure with thousands separators and at most one decimal.
func fmtNum(v float64) string {
	neg := v < 0
	v = math.Abs(v)
	whole := math.Floor(v)
	frac := math.Round((v - whole) * 10)
	if frac == 10 {
		whole, frac = whole+1, 0
	}
	digits := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac > 0 {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(int(frac)))
	}
	return b.String()
}
