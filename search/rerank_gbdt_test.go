package search_test

import (
	"math"
	"slices"
)

// A small gradient-boosted tree set (pointwise logistic loss, depth-3
// trees on features cut in 32 quantile bins), to see whether a model
// that combines the features non-linearly finds more than the linear one.

const (
	gbBins  = 32
	gbDepth = 3
)

type gbNode struct {
	feature int
	cut     float32 // rows with the feature <= cut go left
	left    int     // index of the left child, 0 for a leaf
	value   float64 // a leaf's score
}

type gbModel struct{ trees [][]gbNode }

func (m *gbModel) score(x []float32) float64 {
	var v float64
	for _, t := range m.trees {
		n := 0
		for t[n].left != 0 {
			if x[t[n].feature] <= t[n].cut {
				n = t[n].left
			} else {
				n = t[n].left + 1
			}
		}
		v += t[n].value
	}
	return v
}

// gbTrain fits rounds trees to the rows (features x, labels y) with the
// given features in use.
func gbTrain(x [][]float32, y []bool, use []bool, rounds int, rate float64) *gbModel {
	nf := len(use)
	// Quantile cuts per feature, from a sorted copy of its values.
	cuts := make([][]float32, nf)
	for j := range nf {
		if !use[j] {
			continue
		}
		vals := make([]float32, len(x))
		for i := range x {
			vals[i] = x[i][j]
		}
		slices.Sort(vals)
		for b := 1; b < gbBins; b++ {
			c := vals[b*len(vals)/gbBins]
			if len(cuts[j]) == 0 || c > cuts[j][len(cuts[j])-1] {
				cuts[j] = append(cuts[j], c)
			}
		}
	}
	bin := make([][]uint8, len(x))
	for i := range x {
		bin[i] = make([]uint8, nf)
		for j := range nf {
			k, _ := slices.BinarySearch(cuts[j], x[i][j])
			bin[i][j] = uint8(k) // rows with value <= cuts[k] are in bins <= k
		}
	}
	f := make([]float64, len(x))
	g, h := make([]float64, len(x)), make([]float64, len(x))
	node := make([]int, len(x))
	m := &gbModel{}
	const lambda = 1.0
	for range rounds {
		for i := range x {
			p := 1 / (1 + math.Exp(-f[i]))
			t := 0.0
			if y[i] {
				t = 1
			}
			g[i], h[i] = p-t, max(p*(1-p), 1e-6)
			node[i] = 0
		}
		tree := []gbNode{{}}
		frontier := []int{0}
		for depth := 0; depth < gbDepth; depth++ {
			type hist struct{ g, h [gbBins + 1]float64 }
			hs := make([][]hist, len(tree))
			for _, n := range frontier {
				hs[n] = make([]hist, nf)
			}
			for i := range x {
				hn := hs[node[i]]
				if hn == nil {
					continue
				}
				for j := range nf {
					if use[j] {
						b := bin[i][j]
						hn[j].g[b] += g[i]
						hn[j].h[b] += h[i]
					}
				}
			}
			var next []int
			for _, n := range frontier {
				var G, H float64
				for b := range gbBins + 1 {
					G += hs[n][0].g[b]
					H += hs[n][0].h[b]
				}
				if !use[0] { // totals from any used feature
					for j := range nf {
						if use[j] {
							G, H = 0, 0
							for b := range gbBins + 1 {
								G += hs[n][j].g[b]
								H += hs[n][j].h[b]
							}
							break
						}
					}
				}
				best, bf, bb := 0.0, -1, 0
				for j := range nf {
					if !use[j] {
						continue
					}
					var gl, hl float64
					for b := 0; b < len(cuts[j]); b++ {
						gl += hs[n][j].g[b]
						hl += hs[n][j].h[b]
						gr, hr := G-gl, H-hl
						if hl < 1 || hr < 1 {
							continue
						}
						if gain := gl*gl/(hl+lambda) + gr*gr/(hr+lambda) - G*G/(H+lambda); gain > best {
							best, bf, bb = gain, j, b
						}
					}
				}
				if bf < 0 {
					tree[n].value = -rate * G / (H + lambda)
					continue
				}
				tree[n].feature, tree[n].cut, tree[n].left = bf, cuts[bf][bb], len(tree)
				tree = append(tree, gbNode{}, gbNode{})
				next = append(next, tree[n].left, tree[n].left+1)
			}
			for i := range x {
				n := node[i]
				if tree[n].left != 0 {
					if x[i][tree[n].feature] <= tree[n].cut {
						node[i] = tree[n].left
					} else {
						node[i] = tree[n].left + 1
					}
				}
			}
			frontier = next
		}
		// Leaves at full depth get their values from the rows in them.
		G, H := make([]float64, len(tree)), make([]float64, len(tree))
		for i := range x {
			G[node[i]] += g[i]
			H[node[i]] += h[i]
		}
		for _, n := range frontier {
			tree[n].value = -rate * G[n] / (H[n] + lambda)
		}
		for i := range x {
			f[i] += tree[node[i]].value
		}
		m.trees = append(m.trees, tree)
	}
	return m
}
