package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// HeatRow is one phase of the key-heat stage (or "run", the whole of it).
type HeatRow struct {
	Phase    string  `json:"phase"`
	Ops      float64 `json:"ops,omitempty"`
	WCU      float64 `json:"wcu"`
	RCU      float64 `json:"rcu"`
	HotKey   string  `json:"hottest_key,omitempty"` // where and family, from build/heat.json
	HotShare float64 `json:"hot_share"`
	Allowed  float64 `json:"allowed_per_s,omitempty"`
	Target   float64 `json:"target_per_s,omitempty"`
	Pass     *bool   `json:"pass,omitempty"`
	// ReadShare is the run's hottest read key's share (the run row only).
	ReadShare float64 `json:"read_share,omitempty"`
	HotRead   string  `json:"hottest_read_key,omitempty"`
}

// heatNames are build/heat.json's hottest keys by phase.
type heatNames struct {
	Split  string
	Phases map[string]string
	Run    [2]string // write, read
}

type heatKey struct {
	Where  string  `json:"where"`
	PK     string  `json:"pk"`
	Family string  `json:"family"`
	WCU    float64 `json:"wcu"`
}

func (k heatKey) String() string {
	if k.Family == "" {
		return ""
	}
	return k.Where + " " + k.Family
}

func loadHeatNames(path string) (heatNames, error) {
	names := heatNames{Phases: map[string]string{}}
	raw, err := os.ReadFile(path)
	if err != nil {
		return names, fmt.Errorf("heat names: %w", err)
	}
	var v struct {
		Split  string `json:"split"`
		Phases []struct {
			Name     string  `json:"name"`
			HotWrite heatKey `json:"hot_write"`
			HotRead  heatKey `json:"hot_read"`
		} `json:"phases"`
		Run struct {
			HotWrite heatKey `json:"hot_write"`
			HotRead  heatKey `json:"hot_read"`
		} `json:"run"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return names, fmt.Errorf("heat names %s: %w", path, err)
	}
	names.Split = v.Split
	for _, p := range v.Phases {
		k := p.HotWrite
		if k.WCU == 0 {
			k = p.HotRead
		}
		names.Phases[benchName(p.Name)] = k.String()
	}
	names.Run = [2]string{v.Run.HotWrite.String(), v.Run.HotRead.String()}
	return names, nil
}

// benchName is a phase's name as a sub-benchmark prints it.
func benchName(phase string) string { return strings.ReplaceAll(phase, " ", "_") }

func heatRows(rs []Result, names heatNames) []HeatRow {
	var rows []HeatRow
	for _, r := range rs {
		m := r.Metrics
		if r.Name == "run" {
			rows = append(rows, HeatRow{Phase: "run", WCU: m["WCU"], RCU: m["RCU"], HotShare: m["hot-wshare"], ReadShare: m["hot-rshare"],
				HotKey: names.Run[0], HotRead: names.Run[1]})
			continue
		}
		row := HeatRow{Phase: strings.ReplaceAll(r.Name, "_", " "), Ops: m["ops"], WCU: m["WCU"], RCU: m["RCU"], HotShare: m["hot-share"], Allowed: m["allowed/s"], HotKey: names.Phases[r.Name]}
		if t, ok := m["target/s"]; ok {
			pass := row.Allowed >= t
			row.Target, row.Pass = t, &pass
		}
		rows = append(rows, row)
	}
	return rows
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

func printHeat(w io.Writer, rows []HeatRow) {
	var cells [][]string
	var run *HeatRow
	for i, r := range rows {
		if r.Phase == "run" {
			run = &rows[i]
			continue
		}
		target := "-"
		if r.Pass != nil {
			target = fmt.Sprintf(">= %s: %s", f(r.Target, true), map[bool]string{true: "pass", false: "FAIL"}[*r.Pass])
		}
		key := r.HotKey
		if key == "" {
			key = "-"
		}
		cells = append(cells, []string{r.Phase, f(r.Ops, true), f(r.WCU, true), f(r.RCU, true), key, pct(r.HotShare), f(r.Allowed, true), target})
	}
	table(w, "Key heat: one merchant's workload, units per partition key (table and each index); allowed/s = the phase's request rate at which its hottest key reaches 1,000 WCU/s or 3,000 RCU/s",
		[]string{"phase", "requests", "WCU", "RCU", "hottest key (family)", "its share", "allowed/s", "target"}, cells)
	if run != nil {
		fmt.Fprintf(w, "  whole run: %s WCU, hottest %s %s of them; %s RCU, hottest %s %s\n", f(run.WCU, true), orDash(run.HotKey), pct(run.HotShare),
			f(run.RCU, true), orDash(run.HotRead), pct(run.ReadShare))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printCost(w io.Writer, c *Cost) {
	if c == nil {
		return
	}
	var cells [][]string
	for _, l := range c.Lines {
		cells = append(cells, []string{l.Service, f(l.Quantity, true) + " " + l.Unit, "$" + strconv.FormatFloat(l.USD1000, 'f', 4, 64), pct(l.USD1000 / c.TotalUSD1000)})
	}
	cells = append(cells, []string{"total", "", "$" + strconv.FormatFloat(c.TotalUSD1000, 'f', 4, 64), "100.0%"})
	table(w, fmt.Sprintf("Cost per 1,000 paid links (create with send, send, first click, PSP webhook ingest + apply, 4 outbound webhooks; %s on-demand prices as of %s)", c.Region, c.PricesAsOf),
		[]string{"service", "per paid link", "per 1,000", "share"}, cells)
	fmt.Fprintf(w, "  not included: %s\n", c.NotIncluded)
}
