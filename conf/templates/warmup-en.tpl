# A short personal letter between friends (mailbox warm-up).
# Format: see src/template.h.  {a|b} picks one, {{pick:LIST}} picks a
# line of [list LIST].  Warm-up letters carry no links.

[subject]
{Hi|Hey there|Hello!|How are you?|Long time no see|Quick hello|Catching up|How was your weekend?|Just saying hi|A quick question|Any news?}

[body]
{Hi {{recipient_name}},|Hey {{recipient_name}}!|Hi there,|Hello {{recipient_name}},|Hey!}

{{pick:opener}} {{pick:news}}

{{pick:question}}

{{pick:closing}}
{{sender_name}}

[list opener]
It's been {a while|ages|too long} since we last {talked|caught up}, so {here I am|I thought I'd write}.
{Finally|At last} {I have|I've got} a {quiet|free} {minute|moment}, so I'm writing.
{I was just thinking|Something reminded me today} of {that walk by the river|the little cafe near the station|our trip out of town}, and {wanted|I wanted} to say hi.
{This week has|The last couple of weeks have} been {hectic|busy|a bit crazy}, but {things are calmer now|I can finally breathe a little}.
All good {here|on my side}{, nothing to complain about|, same as always|}.
I've been meaning to write for {ages|a while}, but {somehow|as usual} never got round to it.

[list news]
Work is {crazy|hectic|a bit much} {right now|these days}, but {last weekend|on Saturday} I {managed|got} to get out {of town|to the countryside|for a long walk in the woods}.
The weather {has finally turned|is finally nice}, so I {go for a walk|take a stroll} {in the park|by the river|along the embankment} most evenings.
I've started learning {Spanish|Italian|German} — it's {slow going|harder than I thought}, but I'm {sticking with it|not giving up}.
We've started {redecorating|rearranging the flat|a small renovation}, so there are boxes {everywhere|all over the place}.
I {found|came across} a {great|really good} series the other day, and now I watch an episode every evening.
The cat {has been sleeping on the radiator all day|knocked a plant off the windowsill again}, so {all is|everything is} as usual.
I'm {finally|at last} {finishing|reading} the book we {talked|argued} about last time{ — I love it so far|, so far so good|}.

[list question]
How are things with you? {What's new?|What are you up to these days?|How's work?}
How was your weekend? {Did you get some rest?|Did you go anywhere?}
{Shall we meet up|Fancy meeting up|How about meeting up} {this week|at the weekend|next week}? {Coffee|A walk|Lunch} and a {chat|catch-up}?
Are you still {running in the mornings|going to the pool|playing the guitar}? {Tell me how it's going.|I'd love to hear how it's going.}
{Drop me a line|Write back} when you {have|get} a minute{, I'd love to hear from you|}.

[list closing]
{Take care|Have a nice day|Have a good evening|Talk soon|Speak soon|Hugs|Cheers|All the best},
