package slack

import "testing"

func TestCommandTextAndMention(t *testing.T) {
	tests := []struct {
		text, bot, want string
	}{
		{"<@UBOT> spread CIFR", "UBOT", "spread CIFR"},
		{"<@UBOT|spreadwatch> spread CIFR", "UBOT", "spread CIFR"},
		{"hey <@UBOT> spread CIFR", "UBOT", "spread CIFR"},
		{"<@U1> <@UBOT> spreads", "UBOT", "spreads"},
		{"<@UBOT> spread CIFR", "", "spread CIFR"},
		{"<@UBOT>", "UBOT", "help"},
		{"no mention", "UBOT", "no mention"},
		{"<@UBOT> rule add x \"coupon &gt; 9%\"", "UBOT", `rule add x "coupon > 9%"`},
		{"<@UBOT> watch create hy <#C0123|credit>", "UBOT", "watch create hy C0123"},
		{"<@UBOT> watch create hy <#C0123> <#C9|x", "UBOT", "watch create hy C0123 <#C9|x"},
	}
	for _, tt := range tests {
		if got := commandText(stripMention(tt.text, tt.bot)); got != tt.want {
			t.Errorf("commandText(stripMention(%q, %q)) = %q, want %q", tt.text, tt.bot, got, tt.want)
		}
	}
}
