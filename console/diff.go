package console

import (
	"strconv"
	"strings"
)

// diffLine is one line of a unified diff: Op is ' ', '-' or '+', or '~'
// for a marker of skipped unchanged lines.
type diffLine struct {
	Op   string
	Text string
}

// Limits of the diff: the changed middle of two documents is compared
// line by line only up to maxDiffCells (memory is 4 bytes a cell); beyond,
// it is shown as removed, then added.
const (
	maxDiffCells = 1 << 20
	diffContext  = 3
)

// diffLines is the unified diff of a (the approved revision) and b (the
// latest), with unchanged runs cut to diffContext lines around changes.
func diffLines(a, b string) ([]diffLine, string) {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	var out []diffLine
	for _, l := range x[:pre] {
		out = append(out, diffLine{" ", l})
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	note := ""
	if (len(mx)+1)*(len(my)+1) > maxDiffCells {
		note = "The documents differ too much to align line by line; the changed part is shown removed, then added."
		for _, l := range mx {
			out = append(out, diffLine{"-", l})
		}
		for _, l := range my {
			out = append(out, diffLine{"+", l})
		}
	} else {
		out = append(out, lcsDiff(mx, my)...)
	}
	for _, l := range x[len(x)-suf:] {
		out = append(out, diffLine{" ", l})
	}
	return trimContext(out), note
}

// lcsDiff aligns two short line lists by their longest common subsequence.
func lcsDiff(x, y []string) []diffLine {
	n, m := len(x), len(y)
	w := m + 1
	t := make([]int32, (n+1)*w) // t[i*w+j]: LCS length of x[i:] and y[j:]
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				t[i*w+j] = t[(i+1)*w+j+1] + 1
			} else {
				t[i*w+j] = max(t[(i+1)*w+j], t[i*w+j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case x[i] == y[j]:
			out = append(out, diffLine{" ", x[i]})
			i, j = i+1, j+1
		case t[(i+1)*w+j] >= t[i*w+j+1]:
			out = append(out, diffLine{"-", x[i]})
			i++
		default:
			out = append(out, diffLine{"+", y[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, diffLine{"-", x[i]})
	}
	for ; j < m; j++ {
		out = append(out, diffLine{"+", y[j]})
	}
	return out
}

// trimContext keeps diffContext unchanged lines around each change and
// replaces longer unchanged runs with one marker line.
func trimContext(lines []diffLine) []diffLine {
	keep := make([]bool, len(lines))
	for i, l := range lines {
		if l.Op != " " {
			for k := max(0, i-diffContext); k <= min(len(lines)-1, i+diffContext); k++ {
				keep[k] = true
			}
		}
	}
	var out []diffLine
	skipped := 0
	flush := func() {
		if skipped > 0 {
			out = append(out, diffLine{"~", "… " + strconv.Itoa(skipped) + " unchanged lines …"})
			skipped = 0
		}
	}
	for i, l := range lines {
		if !keep[i] {
			skipped++
			continue
		}
		flush()
		out = append(out, l)
	}
	flush()
	return out
}
