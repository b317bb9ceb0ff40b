package redirect

import "strings"

// botMarkers are User-Agent fragments of link-preview bots, crawlers and
// mail-security scanners: they open links without a person behind them.
var botMarkers = []string{
	"whatsapp", "facebookexternalhit", "facebookcatalog", "meta-externalagent", "slackbot", "slack-imgproxy",
	"twitterbot", "telegrambot", "linkedinbot", "discordbot", "googlebot", "google-inspectiontool",
	"adsbot-google", "bingbot", "bingpreview", "skypeuripreview", "microsoft office", "ms-office",
	"microsoftpreview", "outlook-ios", "safelinks", "proofpoint", "mimecast", "barracuda", "symantec",
	"applebot", "pinterest", "redditbot", "embedly", "iframely", "vkshare", "yandexbot", "duckduckbot",
	"baiduspider", "petalbot", "mastodon", "signal", "viber", "snapchat", "headlesschrome/", "bot/", "crawler", "spider",
}

// IsBot reports a User-Agent that is not a person's browser. An empty
// User-Agent is a bot: browsers always send one.
func IsBot(ua string) bool {
	if strings.TrimSpace(ua) == "" {
		return true
	}
	ua = strings.ToLower(ua)
	for _, m := range botMarkers {
		if strings.Contains(ua, m) {
			return true
		}
	}
	return false
}
