"""Microsoft Teams: the Bot Framework endpoint, Adaptive Cards, proactive messages and the app
package. Only `adapter.py` imports botbuilder."""
