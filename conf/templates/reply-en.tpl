# A short friendly reply to a warm-up letter.  The reply keeps the
# thread's subject ({{subject}} is the original one), so only [body].

[body]
{Hi|Hey|Hello}{ {{recipient_name}}|}!

{{pick:thanks}} {{pick:answer}}

{{pick:bye}}

[list thanks]
{Thanks for your letter|Thanks for writing|So nice to hear from you}!
{Great|Lovely|Good} to get your {email|message}{ about "{{subject}}"|}.
Oh, {what a nice surprise|this made my day}!
{It's|It was} {so good|great} to hear from you{ again|}.

[list answer]
All {good|fine|well} here: {lots of work|work, home, the usual}, and {some walks in the evenings|a bit of rest at the weekends}.
Things are {going well|ticking along}, {work|home} is {quiet|calm} {for now|at the moment}.
{Yes,|Sure,} let's {meet up|have a call} {this week|at the weekend|one of these days}{, I'm in|}!
I'll {write more|reply properly} {tonight|a bit later|in a day or two}, {I'm swamped right now|just running out the door}.

[list bye]
{Take care|Talk soon|Write again|Have a great day|Cheers|Hugs}{!|.}
