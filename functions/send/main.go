// Command send is the send queue's consumer: it delivers links by e-mail,
// SMS and WhatsApp.
package main

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/channel/awschannel"
	"github.com/paylinks/paylinks/shared/compose/send"
	"github.com/paylinks/paylinks/shared/queue"
)

func compose(e *boot.Env) queue.Handler { return send.Worker(e, awschannel.FromEnv(e.AWS)).Handle }

func main() {
	e := boot.Start("send")
	boot.ServeQueue(e, compose(e))
}
