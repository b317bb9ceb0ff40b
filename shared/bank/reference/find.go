package reference

import (
	"slices"
	"strings"
)

// Find returns the structured references written in free remittance text,
// as banks carry it: "RF18 5390 0754 7034", "rf18539007547034",
// "+++090/9337/55493+++", "***090/9337/55493***", "090/9337/55493", a bare
// "090933755493". Only references whose check digits verify, each once,
// in electronic form (Normalize), in the order they start in the text.
//
// The text is read as words, maximal runs of ASCII letters and digits;
// two words belong to one reference only when nothing but separators that
// Normalize drops (white space, '+', '/', '-', '*') stands between them. A
// reference starts and ends on word boundaries, so "INV090933755493" or
// "1090933755493" hold none.
//
//   - An RF starts at a word beginning with "RF" and takes the following
//     words while it has at most 25 characters; every length that verifies
//     is a candidate, longest first (the print form's groups and a word
//     after it may both verify, and only the caller's references tell
//     which was meant).
//   - An OGM is one or more consecutive words of digits, 12 digits in all,
//     that do not lie inside an RF found before (the body of "RF18 5390
//     0754 7034" is itself a valid OGM).
func Find(text string) []string {
	words := splitWords(text)
	var out []string
	add := func(r string) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	inRF := -1 // the last word of the shortest RF found so far
	for i := range words {
		if refs, shortestEnd := rfAt(words, i); len(refs) > 0 {
			for _, r := range refs {
				add(r)
			}
			inRF = max(inRF, shortestEnd)
		}
		if i > inRF {
			if r, ok := ogmAt(words, i); ok {
				add(r)
			}
		}
	}
	return out
}

// word is a maximal run of ASCII letters and digits, in upper case.
type word struct {
	s      string
	digits bool // only digits
	joined bool // only dropped separators stand between it and the word before
}

func splitWords(text string) []word {
	var out []word
	start := -1
	gapJoins := false // the text since the last word holds only dropped separators
	for i, r := range text {
		if isASCIIAlnum(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, newWord(text[start:i], gapJoins && len(out) > 0))
			start, gapJoins = -1, true
		}
		if !dropped(r) {
			gapJoins = false
		}
	}
	if start >= 0 {
		out = append(out, newWord(text[start:], gapJoins && len(out) > 0))
	}
	return out
}

func newWord(s string, joined bool) word {
	s = Normalize(s)
	return word{s: s, digits: isDigits(s), joined: joined}
}

func isASCIIAlnum(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')
}

// rfAt returns the creditor references starting at word i, longest first,
// and the last word of the shortest.
func rfAt(words []word, i int) ([]string, int) {
	if !strings.HasPrefix(words[i].s, "RF") {
		return nil, i
	}
	var refs []string
	shortestEnd := -1
	acc := ""
	for j := i; j < len(words) && (j == i || words[j].joined); j++ {
		acc += words[j].s
		if len(acc) > rfMaxLen {
			break
		}
		if r, err := CheckRF(acc); err == nil {
			refs = append(refs, r)
			if shortestEnd < 0 {
				shortestEnd = j
			}
		}
	}
	slices.Reverse(refs)
	return refs, shortestEnd
}

// ogmAt returns the structured communication of the digit words starting
// at word i, if they make exactly 12 digits that verify.
func ogmAt(words []word, i int) (string, bool) {
	acc := ""
	for j := i; j < len(words) && words[j].digits && (j == i || words[j].joined) && len(acc) < ogmLen; j++ {
		acc += words[j].s
	}
	if len(acc) != ogmLen {
		return "", false
	}
	r, err := CheckOGM(acc)
	return r, err == nil
}
