package reference

import (
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// What the check digits catch, over generated references (fixed seeds),
// on the electronic form. A change is "caught" when the changed reference
// does not validate.
//
// ISO 11649 (RF): the check is ISO 7064 MOD 97-10 on the number written by
// the body, then "RF" and the check digits, each letter written as its two
// digits (A=10 .. Z=35). 97 is prime, so a change of that number by
// δ·10^k is caught whenever δ is not a multiple of 97. That gives:
//   - a digit replaced by a digit (|δ| <= 9), a letter by a letter
//     (|δ| <= 25), a check digit by a digit: always caught;
//   - "R", "F" replaced, or a letter in place of a check digit: the shape
//     is wrong, always caught;
//   - a digit of the body replaced by a letter, or a letter by a digit:
//     the number grows or shrinks by one digit, so everything before it is
//     shifted. With P the number (mod 97) written by the body's characters
//     before it, l the letter's value and d the digit, the number changes
//     by ±10^k·(90·P + l − d): NOT always caught; it escapes exactly when
//     90·P + l − d ≡ 0 (mod 97), about one case in 97;
//   - two adjacent different digits swapped: δ = 9·(a−b), caught; two
//     letters: δ = 99·(u−v) ≡ 2·(u−v), caught; the two check digits, or the
//     last check digit with a first body digit: caught (the latter changes
//     the number by (a−b)·(10^(n−1) − 1), and 10 has order 96 mod 97 while
//     n <= 48);
//   - a digit d and a letter of value l swapped: δ = 9·(11·d − l), caught
//     unless l = 11·d: "1B"/"B1", "2M"/"M2", "3X"/"X3" write the very same
//     digits ("111", "222", "333"), so no check on that number can ever
//     tell them apart. These three swaps are never caught.
//
// Belgian OGM: 10 digits and the check number c = (base mod 97), 97 for 0,
// written in 2 digits (01..97). All changes below are caught:
//   - a base digit replaced: the base changes by δ·10^k, |δ| <= 9, so its
//     remainder changes and the check number no longer fits;
//   - a check digit replaced: c changes to c' ≠ c with c' in 00..99; the
//     only other two-digit numbers ≡ c (mod 97) are 98, 99 for 01, 02 and
//     00 for 97, each two digits away;
//   - two base digits swapped: δ = 9·(a−b)·10^k, caught; the two check
//     digits swapped: a different number;
//   - the last base digit b and the first check digit c1 swapped: the base
//     changes by c1 − b and the check number becomes 10·b + c2, which fits
//     only if 11·b ≡ 11·c1 (mod 97), i.e. b = c1 (11 is invertible mod 97);
//   - any letter: the shape is wrong.

func TestRFSubstitutions(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 11))
	var cross, escaped, checked int
	for n := 0; n < 2000; n++ {
		ref := mustRF(t, randomBody(rng, 1+rng.IntN(21)))
		for i := 0; i < len(ref); i++ {
			for j := 0; j < len(alnum); j++ {
				c := alnum[j]
				if c == ref[i] {
					continue
				}
				mut := ref[:i] + string(c) + ref[i+1:]
				got := ValidRF(mut)
				checked++
				if i < 4 || isDigitByte(c) == isDigitByte(ref[i]) {
					if got {
						t.Fatalf("%s -> %s (position %d) was not caught", ref, mut, i)
					}
					continue
				}
				cross++
				if want := crossEscapes(ref[4:i], ref[i], c); got != want {
					t.Fatalf("%s -> %s (position %d): valid %v, the algebra says %v", ref, mut, i, got, want)
				}
				if got {
					escaped++
				}
			}
		}
	}
	// The generator must reach the cases that escape, and they must be as
	// rare as the algebra says (one in 97).
	rate := float64(escaped) / float64(cross)
	if escaped == 0 || rate < 0.5/97 || rate > 2.0/97 {
		t.Fatalf("%d of %d digit/letter substitutions escaped (rate %.4f, expected about 1/97)", escaped, cross, rate)
	}
	t.Logf("%d substitutions: every same-kind one caught; %d of %d digit<->letter ones escaped (%.2f%%, each exactly where 90P+l-d = 0 mod 97)",
		checked, escaped, cross, 100*rate)
}

// crossEscapes is the algebra's verdict for a body digit replaced by a
// letter or the reverse, with prefix the body before it.
func crossEscapes(prefix string, old, repl byte) bool {
	p := bigMod97(expand(prefix))
	letter, digit := old, repl
	if isDigitByte(old) {
		letter, digit = repl, old
	}
	l := int(letter-'A') + 10
	d := int(digit - '0')
	return ((90*p+l-d)%97+97)%97 == 0
}

func TestRFTranspositions(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 13))
	never := map[string]int{}
	var checked int
	for n := 0; n < 4000; n++ {
		ref := mustRF(t, randomBody(rng, 1+rng.IntN(21)))
		for i := 0; i+1 < len(ref); i++ {
			a, b := ref[i], ref[i+1]
			if a == b {
				continue
			}
			checked++
			mut := ref[:i] + string(b) + string(a) + ref[i+2:]
			same := i >= 4 && expand(string(a)+string(b)) == expand(string(b)+string(a))
			if got := ValidRF(mut); got != same {
				t.Fatalf("%s -> %s (swap at %d): valid %v, want %v", ref, mut, i, got, same)
			}
			if same {
				never[string(a)+string(b)]++
			}
		}
	}
	for pair := range never {
		switch pair {
		case "1B", "B1", "2M", "M2", "3X", "X3":
		default:
			t.Errorf("swap of %q escaped, not one of the three pairs that write the same digits", pair)
		}
	}
	if len(never) == 0 {
		t.Fatal("the generator never swapped 1B, 2M or 3X")
	}
	t.Logf("%d swaps: all caught but %v (pairs writing the same digits, never catchable)", checked, never)
}

func TestOGMSubstitutionsAndTranspositions(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 17))
	var checked int
	for n := 0; n < 5000; n++ {
		ref, err := MakeOGM(randomDigits(rng, 10))
		if err != nil {
			t.Fatal(err)
		}
		// A fifth of the cases at the corners: remainder 0 (check 97) and
		// bases of equal digits.
		if n%5 == 0 {
			ref = cornerOGM(rng)
		}
		for i := 0; i < len(ref); i++ {
			for j := 0; j < len(alnum); j++ {
				if alnum[j] == ref[i] {
					continue
				}
				checked++
				if mut := ref[:i] + string(alnum[j]) + ref[i+1:]; ValidOGM(mut) {
					t.Fatalf("%s -> %s was not caught", ref, mut)
				}
			}
			if i+1 < len(ref) && ref[i] != ref[i+1] {
				checked++
				if mut := ref[:i] + string(ref[i+1]) + string(ref[i]) + ref[i+2:]; ValidOGM(mut) {
					t.Fatalf("%s -> %s (swap at %d) was not caught", ref, mut, i)
				}
			}
		}
	}
	t.Logf("%d OGM substitutions and swaps, all caught", checked)
}

// cornerOGM is an OGM whose base is a multiple of 97 (check 97) or a
// repeated digit.
func cornerOGM(rng *rand.Rand) string {
	var base string
	if rng.IntN(2) == 0 {
		base = strconv.FormatInt(97*rng.Int64N(9999999999/97+1), 10)
	} else {
		d := strconv.Itoa(rng.IntN(10))
		for len(base) < 10 {
			base += d
		}
	}
	for len(base) < 10 {
		base = "0" + base
	}
	ref, err := MakeOGM(base)
	if err != nil {
		panic(err)
	}
	return ref
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// expand writes each letter as its two digits (A=10 .. Z=35).
func expand(s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		if isDigitByte(s[i]) {
			out = append(out, s[i])
		} else {
			out = strconv.AppendInt(out, int64(s[i]-'A')+10, 10)
		}
	}
	return string(out)
}

// bigMod97 is the remainder of a decimal number by 97, computed apart from
// the package's own arithmetic.
func bigMod97(digits string) int {
	if digits == "" {
		return 0
	}
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		panic("not a number: " + digits)
	}
	return int(new(big.Int).Mod(n, big.NewInt(97)).Int64())
}
