"""Block Kit: every message, view and sentence the bot shows people, as pure functions.

    text       escaping user and ECS text; mentions, code spans, times, durations
    kit        the primitives (text objects, section, context, buttons…) and Slack's limits
    words      the one table from a request's state, and the move into it, to words
    card       the approval card (posted, then updated in place)
    thread     the replies under the card, one per state change
    summary    the incident channel's line per finished request, and digests
    status     `/eni status`: a request and its history
    listing    `/eni list` (and the request lines App Home shows)
    home       the App Home tab
    usage      the `/eni` forms, `/eni help`, and words for lines that did not parse
    refusals   why nothing happened (pre-flight, refused clicks and commands) and the fix
    ephemeral  what did happen (checking, accepted, a decision recorded)
    modal      the `/eni detach` form, its field errors, and what is said when it fails
    notices    the requester's notice when a card cannot be posted

No Slack client and no database session here: domain values in, Block Kit out.
"""
