"""Discord adapter: ``qabot discord`` runs a discord.py client over the ``bot.service`` facade."""
