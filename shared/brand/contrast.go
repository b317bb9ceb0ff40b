package brand

import (
	"fmt"
	"math"
)

// RGB is an sRGB colour of 8 bits a channel.
type RGB struct{ R, G, B uint8 }

// White is the colour of the text on the accent colour, and of the page
// the accent colour stands on.
var White = RGB{255, 255, 255}

// MinContrast is WCAG 2.x's AA ratio for normal text (1.4.3).
const MinContrast = 4.5

// String is c as "#rrggbb".
func (c RGB) String() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// ParseColor reads "#rrggbb" (either case); nothing else.
func ParseColor(s string) (RGB, bool) {
	if len(s) != 7 || s[0] != '#' {
		return RGB{}, false
	}
	var v [3]uint8
	for i := range v {
		hi, ok1 := hexDigit(s[1+2*i])
		lo, ok2 := hexDigit(s[2+2*i])
		if !ok1 || !ok2 {
			return RGB{}, false
		}
		v[i] = hi<<4 | lo
	}
	return RGB{v[0], v[1], v[2]}, true
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// channel is one sRGB channel made linear (WCAG 2.x's relative luminance;
// its 0.03928 and sRGB's 0.04045 split no 8-bit value differently).
func channel(v uint8) float64 {
	c := float64(v) / 255
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

// Luminance is c's relative luminance, 0 for black to 1 for white.
func Luminance(c RGB) float64 {
	return 0.2126*channel(c.R) + 0.7152*channel(c.G) + 0.0722*channel(c.B)
}

// Contrast is the WCAG 2.x contrast ratio of a and b, from 1 to 21.
func Contrast(a, b RGB) float64 {
	la, lb := Luminance(a), Luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// accentTooLight says why c is refused as an accent colour.
func accentTooLight(c RGB) string {
	return fmt.Sprintf("white text on %s has a contrast of %.2f:1; choose a darker colour that reaches %.1f:1 (WCAG AA)",
		c, math.Floor(Contrast(c, White)*100)/100, MinContrast)
}
